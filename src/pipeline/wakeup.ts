// Lets one loop sleep until another has news for it, or a timeout passes.

export class Wakeup {
  #wake: (() => void) | undefined;

  /** Resolves on the next notify(), or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      this.#wake = done;
      function done() {
        clearTimeout(timer);
        if (self.#wake === done) self.#wake = undefined;
        resolve();
      }
    });
  }

  notify(): void {
    this.#wake?.();
  }
}
