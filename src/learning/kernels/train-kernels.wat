;; Element-wise training kernels for the MLP trainer (src/learning/kernels/train-kernels.ts), in
;; WebAssembly with 128-bit SIMD: four float32 lanes per instruction, one pass over memory.
;; Compiled by `npm run build:kernels` (wabt) into train-kernels.wasm.ts; a test checks that the
;; embedded bytes are this file's.
;;
;; Every array is a byte offset into this module's memory, 16-byte aligned, and holds n floats
;; rounded UP to a multiple of 4 (the caller pads); lanes past n compute garbage nobody reads.
(module
  (memory (export "memory") 1)

  ;; Adam with coupled weight decay, in place on w, m, v (tfjs's AdamOptimizer formula):
  ;;   g ← g + wd·w;  m ← b1·m + a1·g;  v ← b2·v + a2·g²;  w ← w − lr·(m·c1) / (√(v·c2) + eps)
  ;; with a1 = 1 − b1, a2 = 1 − b2, c1 = 1/(1 − b1ᵗ), c2 = 1/(1 − b2ᵗ).
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $wd f32) (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32)
    (param $c1 f32) (param $c2 f32) (param $lr f32) (param $eps f32)
    (local $i i32) (local $end i32)
    (local $vwd v128) (local $vb1 v128) (local $va1 v128) (local $vb2 v128) (local $va2 v128)
    (local $vc1 v128) (local $vc2 v128) (local $vlr v128) (local $veps v128)
    (local $wi v128) (local $gi v128) (local $mi v128) (local $vi v128)
    (local.set $vwd (f32x4.splat (local.get $wd)))
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $va1 (f32x4.splat (local.get $a1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $va2 (f32x4.splat (local.get $a2)))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $vlr (f32x4.splat (local.get $lr)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $wi (v128.load (i32.add (local.get $w) (local.get $i))))
        (local.set $gi
          (f32x4.add (v128.load (i32.add (local.get $g) (local.get $i)))
                     (f32x4.mul (local.get $vwd) (local.get $wi))))
        (local.set $mi
          (f32x4.add (f32x4.mul (local.get $vb1) (v128.load (i32.add (local.get $m) (local.get $i))))
                     (f32x4.mul (local.get $va1) (local.get $gi))))
        (local.set $vi
          (f32x4.add (f32x4.mul (local.get $vb2) (v128.load (i32.add (local.get $v) (local.get $i))))
                     (f32x4.mul (local.get $va2) (f32x4.mul (local.get $gi) (local.get $gi)))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vi))
        (v128.store (i32.add (local.get $w) (local.get $i))
          (f32x4.sub (local.get $wi)
            (f32x4.div (f32x4.mul (local.get $vlr) (f32x4.mul (local.get $mi) (local.get $vc1)))
                       (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vi) (local.get $vc2))) (local.get $veps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; LeakyReLU slope and dropout after a hidden layer, from its activation y = leaky(z):
  ;;   gate ← (y > 0 ? 1 : alpha)·mask;  y ← y·mask          (y in place)
  (func (export "gate")
    (param $y i32) (param $mask i32) (param $gate i32) (param $n i32) (param $alpha f32)
    (local $i i32) (local $end i32) (local $yi v128) (local $mi v128) (local $one v128) (local $va v128)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $va (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $yi (v128.load (i32.add (local.get $y) (local.get $i))))
        (local.set $mi (v128.load (i32.add (local.get $mask) (local.get $i))))
        (v128.store (i32.add (local.get $gate) (local.get $i))
          (f32x4.mul (local.get $mi)
            (v128.bitselect (local.get $one) (local.get $va) (f32x4.gt (local.get $yi) (v128.const f32x4 0 0 0 0)))))
        (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.mul (local.get $yi) (local.get $mi)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))
)
