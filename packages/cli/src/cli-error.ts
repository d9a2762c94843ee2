/** An error the CLI reports to its user with a stable code and exit status 1 (2 for usage errors). */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
    this.name = "CliError"
  }
}

export function usageError(message: string): CliError {
  return new CliError("USAGE", message, 2)
}
