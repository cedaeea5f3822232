/**
 * Reversible patches of tfjs's kernel and gradient registries, shared by the conv-training
 * registrations (`conv.ts`, `conv-training.ts`).
 *
 * tfjs keeps one global registry per process; a patch records what it replaced the first time it
 * replaces a name and puts exactly that back on `restore`, but only where the registry still holds
 * the patch's own entry (a later registration by someone else is left alone). Every entry a patch
 * installs is marked with the patch's owner, so that `installed` and re-registration are cheap and
 * idempotent.
 */
import type { GradConfig, KernelConfig, KernelFunc } from '@tensorflow/tfjs';

export type Tf = typeof import('@tensorflow/tfjs');

const OWNER = Symbol.for('isac-twin.registryPatchOwner');

function ownerOf(config: object | undefined): string | undefined {
  return config === undefined ? undefined : (config as { [OWNER]?: string })[OWNER];
}

function mark<T extends object>(config: T, owner: string): T {
  Object.defineProperty(config, OWNER, { value: owner });
  return config;
}

export class RegistryPatch {
  /** Kernel entries replaced on `backend` (undefined: there was none). */
  private readonly kernels = new Map<string, KernelConfig | undefined>();
  /** Gradient entries replaced (undefined: there was none). */
  private readonly gradients = new Map<string, GradConfig | undefined>();

  constructor(
    private readonly tf: Tf,
    /** Distinct per patch; stored on every entry it installs. */
    readonly owner: string,
    readonly backend = 'wasm',
  ) {}

  /**
   * Serves kernel `name` on the patch's backend with `make(original)`, where `original` is the
   * kernel function registered before (undefined when there was none). No-op when already served.
   */
  kernel(name: string, make: (original: KernelFunc | undefined) => KernelFunc): void {
    const current = this.tf.getKernel(name, this.backend);
    if (ownerOf(current) === this.owner) return;
    if (!this.kernels.has(name)) this.kernels.set(name, current);
    if (current !== undefined) this.tf.unregisterKernel(name, this.backend);
    const config: KernelConfig = { kernelName: name, backendName: this.backend, kernelFunc: make(current?.kernelFunc) };
    this.tf.registerKernel(mark(config, this.owner));
  }

  /** Installs a gradient config (every backend). No-op when already installed. */
  gradient(config: GradConfig): void {
    const current = this.tf.getGradient(config.kernelName);
    if (ownerOf(current) === this.owner) return;
    if (!this.gradients.has(config.kernelName)) this.gradients.set(config.kernelName, current);
    this.tf.registerGradient(mark({ ...config }, this.owner));
  }

  /** Names (kernels and gradients) this patch serves right now. */
  installed(): { kernels: string[]; gradients: string[] } {
    return {
      kernels: [...this.kernels.keys()].filter((n) => ownerOf(this.tf.getKernel(n, this.backend)) === this.owner),
      gradients: [...this.gradients.keys()].filter((n) => ownerOf(this.tf.getGradient(n)) === this.owner),
    };
  }

  /** True when kernel `name` on the patch's backend is this patch's. */
  servesKernel(name: string): boolean {
    return ownerOf(this.tf.getKernel(name, this.backend)) === this.owner;
  }

  /** Puts back what kernel `name` replaced (where the registry still holds this patch's entry). */
  restoreKernel(name: string): void {
    if (!this.kernels.has(name)) return;
    const original = this.kernels.get(name);
    this.kernels.delete(name);
    if (ownerOf(this.tf.getKernel(name, this.backend)) !== this.owner) return;
    this.tf.unregisterKernel(name, this.backend);
    if (original !== undefined) this.tf.registerKernel(original);
  }

  /** Puts back everything this patch replaced. Idempotent. */
  restore(): void {
    for (const name of [...this.kernels.keys()]) this.restoreKernel(name);
    for (const [name, original] of [...this.gradients]) {
      this.gradients.delete(name);
      if (ownerOf(this.tf.getGradient(name)) !== this.owner) continue;
      if (original !== undefined) this.tf.registerGradient(original);
      else this.tf.unregisterGradient(name);
    }
  }
}
