// Program.cs — a small `pwsh`-compatible command-line host for the PowerShell 7 engine.
//
// WHY THIS EXISTS
//   The project's PowerShell code (scripts, modules and their tests) needs `pwsh` to run. On the
//   project's machines there is no PowerShell installed, and the package feed the build uses (a
//   partial copy of nuget.org) has neither the `PowerShell` .NET global tool nor the
//   Microsoft.PowerShell.SDK package. It does have System.Management.Automation — the PowerShell 7
//   engine itself — so this program hosts that engine and mimics the parts of pwsh's command line
//   and console behaviour that running test scripts and demos depends on. The program is built
//   with AssemblyName `pwsh` so it can be put on PATH as a stand-in. When a real pwsh is
//   installed, the project uses that instead, and this stand-in is not needed.
//
// WHAT IT SUPPORTS (a subset of `pwsh -?`; option names are case-insensitive and may be
// abbreviated the way pwsh allows, e.g. -nop, -noni, -c, -f, -ex/-ep)
//   -NoProfile, -NonInteractive, -NoLogo, -Login   accepted, no effect (profiles are never loaded,
//                                                  the host is never interactive)
//   -ExecutionPolicy <policy>                      accepted and ignored (as pwsh does on Unix)
//   -File <path> [args...]                         run a script; args bind to its param() block
//   [path] [args...]                               a first argument that is not an option = -File
//   -Command <text...> / -c                        run the rest of the command line as script text;
//                                                  `-Command -` reads the script from stdin
//   -EncodedCommand <base64 UTF-16LE> / -e, -ec    like -Command
//   -WorkingDirectory <dir> / -wd                  start in that directory
//   -Version / -v                                  print "PowerShell <engine version>" and exit
//   -Help / -h / -?                                print usage and exit
//   anything else                                  error on stderr, exit code 64 (as pwsh)
//
// EXIT CODES (as pwsh)
//   -File:    the N of a top-level `exit N`; 1 if the script ended with a terminating error
//             (uncaught `throw`, parse error...); otherwise 0, even if non-terminating errors were
//             written.
//   -Command: the N of `exit N`; 1 on a terminating error or when the last statement failed
//             ($? is $false afterwards, e.g. a failing cmdlet or a native program exiting non-zero);
//             otherwise 0.
//   64:       bad command line.
//
// OUTPUT
//   Like pwsh, the command is run as `<command> | Out-Default` with its error stream merged into its
//   output, so the engine's own formatting (built into System.Management.Automation, no Format-*
//   cmdlets needed) prints objects exactly as pwsh does — tables for hashtables and small
//   [pscustomobject]s, lists for wider ones — and errors in pwsh's ConciseView on stderr.
//   See PwshHost.cs for where each stream ends up.
//
// LIMITATIONS
//   * Only the engine's built-in Microsoft.PowerShell.Core cmdlets exist (Get-Command, Import-Module,
//     ForEach-Object, Where-Object, Out-Default, Out-Null, Out-Host, Get-Help, jobs...). The cmdlets of
//     Microsoft.PowerShell.Utility / .Management / .Security are not in the package: no Write-Output,
//     Write-Host, Write-Error, Write-Verbose/-Warning/-Debug, Out-String, Format-*, Select-Object,
//     Sort-Object, Measure-Object, ConvertTo/From-Json, Get-Date, Join-Path, Test-Path, Get-Content,
//     Set-Content, Get-ChildItem, Set-Location, Invoke-RestMethod, Start-Sleep, Get-Random... Scripts
//     meant to run on both must use language features, .NET calls ([IO.File]::..., [Console]::...,
//     [System.Text.Json...]), $PSCmdlet.Write*/ShouldProcess and $Host.UI instead.
//   * No interactive mode (no REPL, -NoExit, Read-Host prompts, mandatory-parameter prompts).
//   * -File arguments are bound the way pwsh does it: `-Name value`, `-Name:value`, `-Switch`,
//     `-Switch:$false` and positional values. Every value arrives as a string (the script's typed
//     param() converts it); a value that itself starts with '-' is taken as a parameter name
//     (as in pwsh), so pass such values as `-Name:-value`.
//   * No -NoExit, -Interactive, -OutputFormat/-InputFormat XML, -ConfigurationName, -WindowStyle,
//     -SettingsFile, -CommandWithArgs, server modes (-s, -ssh...): they are reported as bad arguments.
//     Hence no Start-Job either (it starts `pwsh -s`); use [powershell]::Create() or runspaces.
//   * Input given on stdin (`pwsh < file`, `-Command -`) is run as one script, not line by line.

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Text;

namespace MgPresence.PwshHost;

internal static class Program
{
    private const int ExitSuccess = 0;
    private const int ExitFailure = 1;
    private const int ExitBadCommandLine = 64; // pwsh's code for an unusable command line
    private const int ExitInterrupted = 130;   // the shell convention for "ended by Ctrl+C"

    /// <summary>The pipeline currently running, so Ctrl+C can stop it.</summary>
    private static volatile PowerShell? s_running;
    private static volatile bool s_interrupted;

    public static int Main(string[] args)
    {
        // The engine can send usage telemetry (e.g. on module imports) unless this is set. These
        // machines are offline, and a stand-in for tests has nothing to report: opt out, unless the
        // caller chose otherwise. (Must happen before the engine's telemetry class is first used.)
        if (Environment.GetEnvironmentVariable("POWERSHELL_TELEMETRY_OPTOUT") is null)
        {
            Environment.SetEnvironmentVariable("POWERSHELL_TELEMETRY_OPTOUT", "1");
        }

        var options = CommandLine.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine();
            Console.Error.WriteLine(CommandLine.ShortUsage);
            return ExitBadCommandLine;
        }

        if (options.ShowHelp)
        {
            Console.Out.WriteLine(CommandLine.Usage);
            return ExitSuccess;
        }

        if (options.ShowVersion)
        {
            Console.Out.WriteLine("PowerShell " + EngineVersionText());
            return ExitSuccess;
        }

        // Neither -File nor -Command: pwsh would start an interactive session, or, with stdin
        // redirected (`pwsh < script.ps1`, `echo 1+1 | pwsh`), read commands from stdin.
        if (options.File is null && options.CommandText is null)
        {
            options.CommandFromStdin = true;
        }

        if (options.CommandFromStdin)
        {
            if (!Console.IsInputRedirected)
            {
                Console.Error.WriteLine(
                    "This pwsh stand-in has no interactive mode: give -File <script>, -Command <text>, " +
                    "or the commands on a redirected standard input.");
                return ExitBadCommandLine;
            }

            // pwsh runs such input line by line; running it as one script gives the same result for
            // ordinary scripts (and is more lenient with multi-line statements).
            options.CommandText = Console.In.ReadToEnd();
        }

        if (options.WorkingDirectory is not null && !Directory.Exists(options.WorkingDirectory))
        {
            Console.Error.WriteLine($"The working directory '{options.WorkingDirectory}' does not exist.");
            return ExitBadCommandLine;
        }

        string? scriptPath = null;
        if (options.File is not null)
        {
            scriptPath = ResolveScriptPath(options.File);
            if (scriptPath is null)
            {
                Console.Error.WriteLine(CommandLine.NotAScriptFile(options.File));
                return ExitBadCommandLine;
            }
        }

        return Run(options, scriptPath);
    }

    /// <summary>Opens the runspace, runs the script or command, and maps the outcome to an exit code.</summary>
    private static int Run(Options options, string? scriptPath)
    {
        AddModulesFolderToPSModulePath();

        var host = new ConsoleHostStandIn(EngineVersion());
        InitialSessionState iss = InitialSessionState.CreateDefault2();

        using Runspace runspace = RunspaceFactory.CreateRunspace(host, iss);
        // Run pipelines on this thread: no extra thread per command, and Ctrl+C still works
        // because stopping a pipeline is only a signal the engine checks.
        runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
        runspace.Open();
        Runspace.DefaultRunspace = runspace;

        if (options.WorkingDirectory is not null)
        {
            runspace.SessionStateProxy.Path.SetLocation(
                WildcardPattern.Escape(Path.GetFullPath(options.WorkingDirectory)));
        }

        Console.CancelKeyPress += (_, e) =>
        {
            // Like pwsh: Ctrl+C stops the running pipeline instead of killing the process outright.
            e.Cancel = true;
            s_interrupted = true;
            s_running?.BeginStop(null, null);
        };

        bool isFile = scriptPath is not null;
        bool exitRethrown = isFile && MakeScriptExitEndTheProcess(runspace);
        bool terminatingError = false;
        using (PowerShell ps = PowerShell.Create())
        {
            ps.Runspace = runspace;
            Command command = isFile
                ? BuildFileCommand(scriptPath!, options.FileArguments)
                : new Command(options.CommandText!, isScript: true, useLocalScope: false);

            // pwsh runs `<command> | Out-Default` with the command's errors merged into its output, so
            // objects and error records are printed in order by the engine's default formatting.
            command.MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
            ps.Commands.AddCommand(command);
            ps.AddCommand("Out-Default");

            // Errors that do not come from the user's command (e.g. from Out-Default itself) would
            // otherwise stay unseen in ps.Streams.Error.
            ps.Streams.Error.DataAdded += (sender, e) =>
            {
                var errors = (PSDataCollection<ErrorRecord>)sender!;
                ReportError(runspace, host, errors[e.Index]);
            };

            s_running = ps;
            try
            {
                // -Command runs as a top-level ("history") command, like pwsh's initial command: that is
                // what keeps $? of its last statement for the exit code below. A plain invocation would
                // leave $global:? true whatever happened inside.
                ps.Invoke(null, new PSInvocationSettings { AddToHistory = !isFile });
            }
            catch (Exception ex)
            {
                // A terminating error: uncaught `throw`, a parse error, a failed mandatory
                // conversion, ... (ExitException never gets here: the engine turns a top-level
                // `exit N` into host.SetShouldExit(N) and completes the pipeline normally.)
                terminatingError = true;
                if (ex is not PipelineStoppedException)
                {
                    ReportError(runspace, host, ToErrorRecord(ex));
                }
            }
            finally
            {
                s_running = null;
            }
        }

        if (host.ShouldExit)
        {
            return host.ExitCode;
        }

        if (s_interrupted)
        {
            return ExitInterrupted;
        }

        if (terminatingError)
        {
            return ExitFailure;
        }

        if (isFile && !exitRethrown)
        {
            // Fallback for an engine where the switch below was not found: the script's `exit N`
            // only set $LASTEXITCODE (which a native program run last could also have set).
            return LastExitCode(runspace);
        }

        // -Command: like pwsh, the exit code reflects whether the last statement succeeded.
        return isFile || LastStatementSucceeded(runspace) ? ExitSuccess : ExitFailure;
    }

    /// <summary>
    /// The script as a command, the way pwsh -File builds it: invoked by path (so $PSScriptRoot,
    /// $PSCommandPath and $MyInvocation are set), in the global scope (useLocalScope: false), with the
    /// remaining command-line words as its parameters and arguments. A file without a .ps1 extension
    /// (a `#!/usr/bin/env pwsh` script, say) is read and run as script text, as pwsh does.
    /// </summary>
    private static Command BuildFileCommand(string scriptPath, IReadOnlyList<string> fileArguments)
    {
        Command command = string.Equals(Path.GetExtension(scriptPath), ".ps1", StringComparison.OrdinalIgnoreCase)
            ? new Command(scriptPath, isScript: false, useLocalScope: false)
            : new Command(File.ReadAllText(scriptPath), isScript: true, useLocalScope: false);

        foreach (CommandParameter parameter in ScriptArguments.ToParameters(fileArguments))
        {
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>
    /// In a script run by path, `exit N` normally ends only that script and sets $LASTEXITCODE. pwsh -File
    /// makes it end the whole process instead, by setting the engine's (internal)
    /// ExecutionContext.ScriptCommandProcessorShouldRethrowExit before running the script: the first
    /// script started afterwards rethrows its ExitException, which the engine turns into
    /// host.SetShouldExit(N). The engine has no public API for this, so it is set by reflection; returns
    /// false if that is not possible with this engine version.
    /// </summary>
    private static bool MakeScriptExitEndTheProcess(Runspace runspace)
    {
        const BindingFlags Any = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        try
        {
            object? context = runspace.GetType().GetProperty("ExecutionContext", Any)?.GetValue(runspace);
            PropertyInfo? rethrow = context?.GetType().GetProperty("ScriptCommandProcessorShouldRethrowExit", Any);
            if (context is null || rethrow is null || rethrow.PropertyType != typeof(bool) || !rethrow.CanWrite)
            {
                return false;
            }

            rethrow.SetValue(context, true);
            return true;
        }
        catch (Exception ex) when (ex is TargetInvocationException or MethodAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>$global:LASTEXITCODE as an int, 0 when unset.</summary>
    private static int LastExitCode(Runspace runspace)
    {
        object? value = runspace.SessionStateProxy.GetVariable("global:LASTEXITCODE");
        return value is PSObject pso ? (pso.BaseObject is int i ? i : 0) : value is int n ? n : 0;
    }

    /// <summary>Evaluates <c>$global:?</c> after the command, as pwsh -Command does for its exit code.</summary>
    private static bool LastStatementSucceeded(Runspace runspace)
    {
        try
        {
            using PowerShell ps = PowerShell.Create();
            ps.Runspace = runspace;
            Collection<PSObject> result = ps.AddScript("$global:?").Invoke();
            return result.Count == 1 && result[0]?.BaseObject is bool ok && ok;
        }
        catch (RuntimeException)
        {
            return false;
        }
    }

    // ---- error reporting ----------------------------------------------------------------------

    private static ErrorRecord ToErrorRecord(Exception ex) =>
        ex is IContainsErrorRecord { ErrorRecord: { } record }
            ? record
            : new ErrorRecord(ex, "ConsoleHost.ReportException", ErrorCategory.NotSpecified, null);

    /// <summary>
    /// Prints an error record to stderr the way pwsh does (its $ErrorView, ConciseView by default):
    /// the record goes through the engine's own formatting via Out-Default while the host sends
    /// everything it is given to stderr. If that fails, a plain "<command>: <message>" line is printed.
    /// </summary>
    private static void ReportError(Runspace runspace, ConsoleHostStandIn host, ErrorRecord record)
    {
        var ui = (HostUserInterface)host.UI;
        bool printed = false;
        if (runspace.RunspaceAvailability == RunspaceAvailability.Available)
        {
            ui.RedirectOutputToError = true;
            try
            {
                using PowerShell ps = PowerShell.Create();
                ps.Runspace = runspace;
                ps.AddCommand("Out-Default");
                ps.Invoke(new object[] { record });
                printed = !ps.HadErrors;
            }
            catch (Exception)
            {
                // fall through to the plain form below
            }
            finally
            {
                ui.RedirectOutputToError = false;
            }
        }

        if (!printed)
        {
            Console.Error.WriteLine(PlainErrorText(record));
        }
    }

    /// <summary>A last-resort rendering close to ConciseView: "<command name>: <message>".</summary>
    internal static string PlainErrorText(ErrorRecord record)
    {
        string message = record.ErrorDetails?.Message is { Length: > 0 } details
            ? details
            : record.Exception?.Message ?? record.ToString();
        string? source = record.InvocationInfo?.MyCommand?.Name;
        if (string.IsNullOrEmpty(source))
        {
            source = record.Exception?.GetType().Name ?? "Error";
        }

        return source + ": " + message;
    }

    // ---- environment ----------------------------------------------------------------------------

    /// <summary>
    /// Puts the `Modules` folder next to this executable (if there is one) on PSModulePath, so modules
    /// shipped beside the stand-in can be imported by name. The engine adds its own entries at startup.
    /// </summary>
    private static void AddModulesFolderToPSModulePath()
    {
        string modules = Path.Combine(AppContext.BaseDirectory, "Modules");
        if (!Directory.Exists(modules))
        {
            return;
        }

        string? current = Environment.GetEnvironmentVariable("PSModulePath");
        string[] entries = string.IsNullOrEmpty(current) ? Array.Empty<string>() : current.Split(Path.PathSeparator);
        if (!entries.Contains(modules, StringComparer.Ordinal))
        {
            Environment.SetEnvironmentVariable(
                "PSModulePath",
                string.IsNullOrEmpty(current) ? modules : current + Path.PathSeparator + modules);
        }
    }

    /// <summary>
    /// A script path as pwsh resolves it: relative to the process's current directory (before any
    /// -WorkingDirectory is applied); it must be an existing file.
    /// </summary>
    private static string? ResolveScriptPath(string file)
    {
        try
        {
            string full = Path.GetFullPath(file);
            return File.Exists(full) ? full : null;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The engine's version text, e.g. "7.6.9" — the same string $PSVersionTable.PSVersion and
    /// $PSVersionTable.GitCommitId are built from (the engine assembly's informational version),
    /// read without paying for a runspace.
    /// </summary>
    private static string EngineVersionText()
    {
        string? informational = typeof(PSObject).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return typeof(PSObject).Assembly.GetName().Version?.ToString(3) ?? "7";
        }

        // "7.6.9 SHA: <commit>" for release builds; keep only the version.
        int cut = informational.IndexOfAny(new[] { ' ', '+' });
        return cut > 0 ? informational[..cut] : informational;
    }

    private static Version EngineVersion()
    {
        string text = EngineVersionText();
        int dash = text.IndexOf('-'); // preview builds: "7.6.0-preview.4"
        return Version.TryParse(dash > 0 ? text[..dash] : text, out Version? v)
            ? v
            : typeof(PSObject).Assembly.GetName().Version ?? new Version(7, 0);
    }
}

/// <summary>What the command line asked for.</summary>
internal sealed class Options
{
    public string? File { get; set; }
    public List<string> FileArguments { get; } = new();
    public string? CommandText { get; set; }
    public bool CommandFromStdin { get; set; }
    public string? WorkingDirectory { get; set; }
    public bool ShowVersion { get; set; }
    public bool ShowHelp { get; set; }
}

/// <summary>Parses pwsh's command line (the subset described at the top of this file).</summary>
internal static class CommandLine
{
    public const string ShortUsage =
        "Usage: pwsh [-NoProfile] [-NonInteractive] [-NoLogo] [-ExecutionPolicy <policy>]\n" +
        "            [-WorkingDirectory <dir>] [[-File] <filePath> [args]] | [-Command { - | <text> [args] }]\n" +
        "            | [-EncodedCommand <base64>] | -Version | -Help";

    public const string Usage =
        "pwsh stand-in: a minimal host for the PowerShell 7 engine (System.Management.Automation).\n\n" +
        ShortUsage + "\n\n" +
        "Only the Microsoft.PowerShell.Core cmdlets are available; there is no interactive mode.\n" +
        "-NoProfile, -NonInteractive, -NoLogo, -Login and -ExecutionPolicy are accepted and have no effect.";

    public static string NotAScriptFile(string argument) =>
        $"The argument '{argument}' is not recognized as the name of a script file. Check the spelling of the " +
        "name, or if a path was included, verify that the path is correct and try again.";

    /// <summary>Returns the options, or null with <paramref name="error"/> set when the line is unusable.</summary>
    public static Options? Parse(string[] args, out string? error)
    {
        error = null;
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];

            // The first word that is not an option is the script file; everything after it belongs to the script.
            if (arg.Length < 2 || arg[0] != '-')
            {
                return TakeFile(args, i, options);
            }

            string key = arg.TrimStart('-').ToLowerInvariant();
            if (Matches(key, "noprofile", "nop") || Matches(key, "noninteractive", "noni") ||
                Matches(key, "nologo", "nol") || Matches(key, "login", "l"))
            {
                continue;
            }

            if (Matches(key, "version", "v"))
            {
                options.ShowVersion = true;
                return options; // pwsh ignores whatever follows -Version
            }

            if (Matches(key, "help", "h") || key == "?")
            {
                options.ShowHelp = true;
                return options;
            }

            if (Matches(key, "executionpolicy", "ex") || Matches(key, "ep", "ep"))
            {
                if (++i >= args.Length)
                {
                    error = "Cannot process the execution policy because of a missing policy. " +
                            "Specify a policy after -ExecutionPolicy.";
                    return null;
                }

                continue; // ignored: execution policies are not supported on Unix, as in pwsh
            }

            if (Matches(key, "workingdirectory", "wo") || Matches(key, "wd", "wd"))
            {
                if (++i >= args.Length)
                {
                    error = "Cannot process the working directory because of a missing value after -WorkingDirectory.";
                    return null;
                }

                options.WorkingDirectory = args[i];
                continue;
            }

            if (Matches(key, "file", "f"))
            {
                if (i + 1 >= args.Length)
                {
                    error = "Cannot process the command because of a missing parameter. A file path must follow -File.";
                    return null;
                }

                return TakeFile(args, i + 1, options);
            }

            if (Matches(key, "command", "c"))
            {
                if (i + 1 >= args.Length)
                {
                    error = "Cannot process the command because of a missing parameter. A command must follow -Command.";
                    return null;
                }

                if (args[i + 1] == "-")
                {
                    // pwsh: `-Command -` reads the commands from stdin, and must be the last word.
                    if (i + 2 != args.Length)
                    {
                        error = "Too many parameters for the -Command parameter: '-' must be the last one.";
                        return null;
                    }

                    options.CommandFromStdin = true;
                    return options;
                }

                // Otherwise all remaining words, joined with spaces, are the script (as in pwsh).
                options.CommandText = string.Join(' ', args, i + 1, args.Length - i - 1);
                return options;
            }

            if (Matches(key, "encodedcommand", "e") || Matches(key, "ec", "ec"))
            {
                if (i + 1 >= args.Length)
                {
                    error = "Cannot process the command because of a missing parameter. A command must follow -EncodedCommand.";
                    return null;
                }

                try
                {
                    options.CommandText = Encoding.Unicode.GetString(Convert.FromBase64String(args[i + 1]));
                }
                catch (FormatException)
                {
                    error = "Cannot process the encoded command: the value is not valid base64.";
                    return null;
                }

                return options;
            }

            // Like pwsh, an unknown option is treated as (and reported as) a script file name.
            error = NotAScriptFile(arg);
            return null;
        }

        return options;
    }

    private static Options TakeFile(string[] args, int index, Options options)
    {
        string file = args[index];
        if (file == "-")
        {
            // `-File -`: the commands come from stdin.
            options.CommandFromStdin = true;
            return options;
        }

        options.File = file;
        options.FileArguments.AddRange(args.Skip(index + 1));
        return options;
    }

    /// <summary>pwsh's rule: the key is a prefix of the full name and at least as long as the shortest allowed form.</summary>
    private static bool Matches(string key, string fullName, string shortest) =>
        key.Length >= shortest.Length && fullName.StartsWith(key, StringComparison.Ordinal);
}

/// <summary>
/// Turns the words after `-File script.ps1` into parameters exactly the way pwsh does, so they bind to the
/// script's param() block through the engine's normal parameter binder:
///   `-Name`             a parameter token: a switch, or a named parameter whose value is the next word;
///   `-Name:value`       a parameter with its value attached (`true`/`$true`/`false`/`$false` become booleans,
///                       so `-Switch:$false` works);
///   `-Name: value`      the same, with the value in the next word;
///   anything else       a positional argument (a string; the param() block's types convert it).
/// A parameter given with its dash ("-Name") is rebuilt by the engine as if the script had been called
/// from PowerShell code, so the binder, knowing the script's parameters, decides whether "-Name" takes
/// the next word as its value or is a switch. A script without param() gets all words in $args.
/// </summary>
internal static class ScriptArguments
{
    public static IEnumerable<CommandParameter> ToParameters(IEnumerable<string> words)
    {
        string? pendingName = null;
        foreach (string word in words)
        {
            if (pendingName is not null)
            {
                yield return new CommandParameter(pendingName, word);
                pendingName = null;
            }
            else if (word.Length > 1 && word[0] == '-')
            {
                int colon = word.IndexOf(':');
                if (colon < 0)
                {
                    yield return new CommandParameter(word);
                }
                else if (colon == word.Length - 1)
                {
                    pendingName = word.TrimEnd(':');
                }
                else
                {
                    string name = word[..colon];
                    string value = word[(colon + 1)..];
                    yield return TryGetBool(value, out bool flag)
                        ? new CommandParameter(name, flag)
                        : new CommandParameter(name, value);
                }
            }
            else
            {
                yield return new CommandParameter(null, word);
            }
        }

        if (pendingName is not null)
        {
            // A trailing "-Name:" with nothing after it: let the binder report the missing value.
            yield return new CommandParameter(pendingName);
        }
    }

    private static bool TryGetBool(string text, out bool value)
    {
        string bare = text.StartsWith('$') ? text[1..] : text;
        if (string.Equals(bare, "true", StringComparison.OrdinalIgnoreCase))
        {
            value = true;
            return true;
        }

        if (string.Equals(bare, "false", StringComparison.OrdinalIgnoreCase))
        {
            value = false;
            return true;
        }

        value = false;
        return false;
    }
}
