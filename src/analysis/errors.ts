/**
 * Bad input to the analysis commands (a file that is not a readable isac-twin run database, an
 * unknown metric, an empty time range …). The message always starts with the file or option it
 * is about; the CLI prints it and exits with code 2.
 */
export class AnalysisInputError extends Error {
  override readonly name = 'AnalysisInputError';
  constructor(
    /** The file (or option, e.g. `--metric`) the problem is about. */
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}
