/**
 * The link between whoever feeds the view model (the twin's streams, a database poller) and the
 * screen: feeders call `changed()` as often as they like (once per slot is fine, it only calls
 * the listeners); the screen samples `getView()` at its own, throttled rate.
 */
import type { DashboardView, ViewModel } from './model.ts';

export interface DashboardSource {
  getView(): DashboardView;
  /** `urgent`: render now (the last frame before closing), not at the next throttled tick. */
  subscribe(listener: (urgent: boolean) => void): () => void;
}

export class DashboardStore implements DashboardSource {
  private readonly listeners = new Set<(urgent: boolean) => void>();
  constructor(readonly model: ViewModel) {}
  getView(): DashboardView {
    return this.model.view();
  }
  changed(urgent = false): void {
    for (const l of this.listeners) l(urgent);
  }
  subscribe(listener: (urgent: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
