namespace Flagger.Cli;

/// <summary>The command line cannot be acted on (a bad flag, no kubeconfig): one line on stderr and exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The command ran and the answer is no (not found, refused by the API server): one line and exit code 1.</summary>
internal sealed class CommandFailedException(string message) : Exception(message);
