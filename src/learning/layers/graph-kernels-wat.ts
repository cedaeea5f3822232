/**
 * WebAssembly text (128-bit SIMD) of the GNN trainer's element-wise passes (graph-train.ts),
 * compiled into graph-kernels.wasm.ts (base64). The module imports the tfjs-wasm backend's own
 * memory ("env" "memory"), so the kernels read and write tensors in place: every pointer is a
 * byte offset into that heap (a tensor's `memoryOffset`), every width a multiple of 4 floats.
 * A test checks that the embedded bytes are this text compiled; after an edit regenerate them:
 *   node --import tsx -e "import('./src/learning/layers/graph-kernels.ts').then(m => m.writeEmbeddedKernels())"
 */
export const GRAPH_KERNELS_WAT = String.raw`
(module
  (import "env" "memory" (memory 0))

  ;; Edge outputs, rows (b, m, u) (the target edges: U = 1, pOff = k):
  ;;   z = y[r] + p[b·M+m][pOff..] + q[b·U+u];  g = z > 0 ? 1 : alpha;  gate[r] = g;  out[r] = [z·g ; e0[r]]
  (func (export "edge_fwd")
    (param $out i32) (param $y i32) (param $p i32) (param $q i32) (param $gate i32) (param $e0 i32)
    (param $B i32) (param $M i32) (param $U i32) (param $k i32) (param $pStride i32) (param $pOff i32)
    (param $S0 i32) (param $alpha f32)
    (local $b i32) (local $m i32) (local $u i32) (local $r i32) (local $i i32) (local $kb i32)
    (local $yr i32) (local $pr i32) (local $qr i32) (local $gr i32) (local $or i32)
    (local $z v128) (local $g v128) (local $one v128) (local $va v128) (local $zero v128)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $va (f32x4.splat (local.get $alpha)))
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $m (i32.const 0))
      (block $md (loop $ml
        (br_if $md (i32.ge_u (local.get $m) (local.get $M)))
        (local.set $pr (i32.add (local.get $p)
          (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $M)) (local.get $m)) (local.get $pStride)) (local.get $pOff)) (i32.const 2))))
        (local.set $u (i32.const 0))
        (block $ud (loop $ul
          (br_if $ud (i32.ge_u (local.get $u) (local.get $U)))
          (local.set $r (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $M)) (local.get $m)) (local.get $U)) (local.get $u)))
          (local.set $yr (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $kb))))
          (local.set $gr (i32.add (local.get $gate) (i32.mul (local.get $r) (local.get $kb))))
          (local.set $qr (i32.add (local.get $q) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $U)) (local.get $u)) (local.get $kb))))
          (local.set $or (i32.add (local.get $out) (i32.shl (i32.mul (local.get $r) (i32.add (local.get $k) (local.get $S0))) (i32.const 2))))
          (local.set $i (i32.const 0))
          (block $id (loop $il
            (br_if $id (i32.ge_u (local.get $i) (local.get $kb)))
            (local.set $z (f32x4.add (f32x4.add (v128.load (i32.add (local.get $yr) (local.get $i))) (v128.load (i32.add (local.get $pr) (local.get $i))))
                                     (v128.load (i32.add (local.get $qr) (local.get $i)))))
            (local.set $g (v128.bitselect (local.get $one) (local.get $va) (f32x4.gt (local.get $z) (local.get $zero))))
            (v128.store (i32.add (local.get $gr) (local.get $i)) (local.get $g))
            (v128.store (i32.add (local.get $or) (local.get $i)) (f32x4.mul (local.get $z) (local.get $g)))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $il)))
          (if (i32.gt_u (local.get $S0) (i32.const 0))
            (then (memory.copy (i32.add (local.get $or) (local.get $kb))
                               (i32.add (local.get $e0) (i32.shl (i32.mul (local.get $r) (local.get $S0)) (i32.const 2)))
                               (i32.shl (local.get $S0) (i32.const 2)))))
          (local.set $u (i32.add (local.get $u) (i32.const 1)))
          (br $ul)))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $ml)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; Edge gradients, rows (b, m, u) as edge_fwd (dP, dQ accumulate: zero them first):
  ;;   g = dE[r] (+ sA·dxA[b·M+m][aOff..] + sM·dxU[b·U+u] if hasNext) (· gate[r] if hasNext)
  ;;   dz[r] = g;  dP[b·M+m][pOff..] += g;  dQ[b·U+u] += g
  (func (export "edge_bwd")
    (param $dz i32) (param $dP i32) (param $dQ i32) (param $dE i32) (param $dxA i32) (param $dxU i32) (param $gate i32)
    (param $B i32) (param $M i32) (param $U i32) (param $k i32) (param $pStride i32) (param $pOff i32)
    (param $wA i32) (param $aOff i32) (param $wU i32) (param $sA f32) (param $sM f32) (param $hasNext i32)
    (local $b i32) (local $m i32) (local $u i32) (local $r i32) (local $i i32) (local $kb i32)
    (local $rb i32) (local $pr i32) (local $qr i32) (local $ar i32) (local $ur i32)
    (local $g v128) (local $vsA v128) (local $vsM v128) (local $a v128)
    (local.set $vsA (f32x4.splat (local.get $sA)))
    (local.set $vsM (f32x4.splat (local.get $sM)))
    (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $m (i32.const 0))
      (block $md (loop $ml
        (br_if $md (i32.ge_u (local.get $m) (local.get $M)))
        (local.set $pr (i32.add (local.get $dP)
          (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $M)) (local.get $m)) (local.get $pStride)) (local.get $pOff)) (i32.const 2))))
        (local.set $ar (i32.add (local.get $dxA)
          (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $M)) (local.get $m)) (local.get $wA)) (local.get $aOff)) (i32.const 2))))
        (local.set $u (i32.const 0))
        (block $ud (loop $ul
          (br_if $ud (i32.ge_u (local.get $u) (local.get $U)))
          (local.set $r (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $M)) (local.get $m)) (local.get $U)) (local.get $u)))
          (local.set $rb (i32.mul (local.get $r) (local.get $kb)))
          (local.set $qr (i32.add (local.get $dQ) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $U)) (local.get $u)) (local.get $kb))))
          (local.set $ur (i32.add (local.get $dxU) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $U)) (local.get $u)) (local.get $wU)) (i32.const 2))))
          (local.set $i (i32.const 0))
          (block $id (loop $il
            (br_if $id (i32.ge_u (local.get $i) (local.get $kb)))
            (local.set $g (v128.load (i32.add (i32.add (local.get $dE) (local.get $rb)) (local.get $i))))
            (if (local.get $hasNext)
              (then
                (local.set $a (f32x4.add (f32x4.mul (local.get $vsA) (v128.load (i32.add (local.get $ar) (local.get $i))))
                                         (f32x4.mul (local.get $vsM) (v128.load (i32.add (local.get $ur) (local.get $i))))))
                (local.set $g (f32x4.mul (f32x4.add (local.get $g) (local.get $a))
                                         (v128.load (i32.add (i32.add (local.get $gate) (local.get $rb)) (local.get $i)))))))
            (v128.store (i32.add (i32.add (local.get $dz) (local.get $rb)) (local.get $i)) (local.get $g))
            (v128.store (i32.add (local.get $pr) (local.get $i)) (f32x4.add (v128.load (i32.add (local.get $pr) (local.get $i))) (local.get $g)))
            (v128.store (i32.add (local.get $qr) (local.get $i)) (f32x4.add (v128.load (i32.add (local.get $qr) (local.get $i))) (local.get $g)))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $il)))
          (local.set $u (i32.add (local.get $u) (i32.const 1)))
          (br $ul)))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $ml)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; dst[0..nb) = scale · Σ_{c < count} src[c·stride ..]  (byte counts and strides)
  (func $sum_rows (param $dst i32) (param $src i32) (param $stride i32) (param $count i32) (param $nb i32) (param $scale f32)
    (local $i i32) (local $c i32) (local $s v128) (local $vs v128)
    (local.set $vs (f32x4.splat (local.get $scale)))
    (local.set $i (i32.const 0))
    (block $id (loop $il
      (br_if $id (i32.ge_u (local.get $i) (local.get $nb)))
      (local.set $s (f32x4.splat (f32.const 0)))
      (local.set $c (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $count)))
        (local.set $s (f32x4.add (local.get $s) (v128.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $c) (local.get $stride))) (local.get $i)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cl)))
      (v128.store (i32.add (local.get $dst) (local.get $i)) (f32x4.mul (local.get $s) (local.get $vs)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $il))))

  ;; Vertex-update inputs (F, D in floats; D = 0: no vertex states):
  ;;   xa[b·M+m] = [sA Σ_u eu[(b·M+m)·U+u] ; et[b·M+m] ; va[b·M+m]]
  ;;   xu[b·U+u] = [sM Σ_m eu[(b·M+m)·U+u] ; vu[b·U+u]]      xt[b] = [sM Σ_m et[b·M+m] ; vt[b]]
  (func (export "vertex_in")
    (param $xa i32) (param $xu i32) (param $xt i32) (param $eu i32) (param $et i32) (param $va i32) (param $vu i32) (param $vt i32)
    (param $B i32) (param $M i32) (param $U i32) (param $F i32) (param $D i32) (param $sA f32) (param $sM f32)
    (local $b i32) (local $m i32) (local $u i32) (local $Fb i32) (local $Db i32) (local $wAb i32) (local $wUb i32) (local $rm i32) (local $o i32)
    (local.set $Fb (i32.shl (local.get $F) (i32.const 2)))
    (local.set $Db (i32.shl (local.get $D) (i32.const 2)))
    (local.set $wAb (i32.add (i32.shl (local.get $Fb) (i32.const 1)) (local.get $Db)))
    (local.set $wUb (i32.add (local.get $Fb) (local.get $Db)))
    (local.set $b (i32.const 0))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $m (i32.const 0))
      (block $md (loop $ml
        (br_if $md (i32.ge_u (local.get $m) (local.get $M)))
        (local.set $rm (i32.add (i32.mul (local.get $b) (local.get $M)) (local.get $m)))
        (local.set $o (i32.add (local.get $xa) (i32.mul (local.get $rm) (local.get $wAb))))
        (call $sum_rows (local.get $o) (i32.add (local.get $eu) (i32.mul (i32.mul (local.get $rm) (local.get $U)) (local.get $Fb)))
                        (local.get $Fb) (local.get $U) (local.get $Fb) (local.get $sA))
        (memory.copy (i32.add (local.get $o) (local.get $Fb)) (i32.add (local.get $et) (i32.mul (local.get $rm) (local.get $Fb))) (local.get $Fb))
        (if (i32.gt_u (local.get $D) (i32.const 0))
          (then (memory.copy (i32.add (local.get $o) (i32.shl (local.get $Fb) (i32.const 1))) (i32.add (local.get $va) (i32.mul (local.get $rm) (local.get $Db))) (local.get $Db))))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $ml)))
      (local.set $u (i32.const 0))
      (block $ud (loop $ul
        (br_if $ud (i32.ge_u (local.get $u) (local.get $U)))
        (local.set $o (i32.add (local.get $xu) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $U)) (local.get $u)) (local.get $wUb))))
        (call $sum_rows (local.get $o) (i32.add (local.get $eu) (i32.mul (i32.add (i32.mul (i32.mul (local.get $b) (local.get $M)) (local.get $U)) (local.get $u)) (local.get $Fb)))
                        (i32.mul (local.get $U) (local.get $Fb)) (local.get $M) (local.get $Fb) (local.get $sM))
        (if (i32.gt_u (local.get $D) (i32.const 0))
          (then (memory.copy (i32.add (local.get $o) (local.get $Fb)) (i32.add (local.get $vu) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $U)) (local.get $u)) (local.get $Db))) (local.get $Db))))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $ul)))
      (local.set $o (i32.add (local.get $xt) (i32.mul (local.get $b) (local.get $wUb))))
      (call $sum_rows (local.get $o) (i32.add (local.get $et) (i32.mul (i32.mul (local.get $b) (local.get $M)) (local.get $Fb)))
                      (local.get $Fb) (local.get $M) (local.get $Fb) (local.get $sM))
      (if (i32.gt_u (local.get $D) (i32.const 0))
        (then (memory.copy (i32.add (local.get $o) (local.get $Fb)) (i32.add (local.get $vt) (i32.mul (local.get $b) (local.get $Db))) (local.get $Db))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; Vertex gradients: out[r] = from[r] (if from ≠ 0) + next[r·width + offset ..] (if next ≠ 0), and
  ;; bias += Σ_r out[r]  (rows of d floats; width, offset in floats)
  (func (export "vertex_grad")
    (param $out i32) (param $from i32) (param $next i32) (param $bias i32) (param $rows i32) (param $d i32) (param $width i32) (param $offset i32)
    (local $r i32) (local $i i32) (local $db i32) (local $o i32) (local $n i32) (local $v v128)
    (local.set $db (i32.shl (local.get $d) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $o (i32.mul (local.get $r) (local.get $db)))
      (local.set $n (i32.add (local.get $next) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $width)) (local.get $offset)) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $id (loop $il
        (br_if $id (i32.ge_u (local.get $i) (local.get $db)))
        (local.set $v (f32x4.splat (f32.const 0)))
        (if (local.get $from) (then (local.set $v (v128.load (i32.add (i32.add (local.get $from) (local.get $o)) (local.get $i))))))
        (if (local.get $next) (then (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $n) (local.get $i)))))))
        (v128.store (i32.add (i32.add (local.get $out) (local.get $o)) (local.get $i)) (local.get $v))
        (v128.store (i32.add (local.get $bias) (local.get $i)) (f32x4.add (v128.load (i32.add (local.get $bias) (local.get $i))) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $il)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; out[0..k) = Σ_r src[r·k ..]
  (func (export "col_sum") (param $out i32) (param $src i32) (param $rows i32) (param $k i32)
    (local $kb i32)
    (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
    (call $sum_rows (local.get $out) (local.get $src) (local.get $kb) (local.get $rows) (local.get $kb) (f32.const 1))))
`;
