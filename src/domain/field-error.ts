// A request the caller must fix, naming the field the way the request spells it (`spec.events[1].aggregation`).
// Domain code throws it; the server's one error path turns it into `invalid_argument`.

export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "FieldError";
  }
}
