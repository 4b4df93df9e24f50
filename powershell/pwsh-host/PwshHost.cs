// PwshHost.cs — the PSHost / PSHostUserInterface / PSHostRawUserInterface used by the `pwsh`
// stand-in (see Program.cs for why this program exists).
//
// The engine talks to the outside world only through this host:
//   * Out-Default / Out-Host, `$Host.UI.WriteLine(...)` and the "What if: ..." lines that
//     ShouldProcess prints under -WhatIf all arrive at Write/WriteLine  -> stdout;
//   * error records routed by Out-Default, and our own reports   -> WriteErrorLine -> stderr;
//   * WriteDebug / WriteVerbose / WriteWarning (when their preference is Continue) arrive at
//     WriteDebugLine / WriteVerboseLine / WriteWarningLine and are printed with the same
//     "DEBUG: " / "VERBOSE: " / "WARNING: " prefixes as the real console host (on stdout, like pwsh);
//   * `exit N` at top level ends in SetShouldExit(N), which is how we learn the exit code.
// Colours: the engine decorates tables and error views with ANSI sequences ($PSStyle); they are kept
// only where pwsh would keep them (a terminal, by default) and stripped from redirected output.
// Nothing here is interactive: every read or prompt throws a clear "non-interactive" error.

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Internal;
using System.Security;

namespace MgPresence.PwshHost;

/// <summary>The host object the runspace sees as <c>$Host</c>.</summary>
internal sealed class ConsoleHostStandIn : PSHost
{
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;
    private readonly HostUserInterface _ui = new();

    public ConsoleHostStandIn(Version version) => Version = version;

    /// <summary>
    /// Same name as the real console host, because scripts occasionally test
    /// <c>$Host.Name -eq 'ConsoleHost'</c> to decide whether they run under plain pwsh.
    /// </summary>
    public override string Name => "ConsoleHost";

    /// <summary>The engine's version (7.6.x), like the real host reports.</summary>
    public override Version Version { get; }

    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override PSHostUserInterface UI => _ui;
    public override CultureInfo CurrentCulture => _culture;
    public override CultureInfo CurrentUICulture => _uiCulture;

    /// <summary>True once a top-level <c>exit</c> ran; <see cref="ExitCode"/> then holds its value.</summary>
    public bool ShouldExit { get; private set; }
    public int ExitCode { get; private set; }

    /// <summary>
    /// Called by the engine when a script or command runs <c>exit N</c> at top level
    /// (the pipeline itself then completes normally). We only record it; Program
    /// turns it into the process exit code once the pipeline has finished.
    /// </summary>
    public override void SetShouldExit(int exitCode)
    {
        ShouldExit = true;
        ExitCode = exitCode;
    }

    public override void EnterNestedPrompt() =>
        throw new PSNotSupportedException("Nested prompts are not supported by this non-interactive host.");

    public override void ExitNestedPrompt() =>
        throw new PSNotSupportedException("Nested prompts are not supported by this non-interactive host.");

    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
}

/// <summary>Text output for the engine: stdout and stderr, never any input.</summary>
internal sealed class HostUserInterface : PSHostUserInterface
{
    internal const string NonInteractiveMessage =
        "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.";

    private readonly HostRawUserInterface _rawUI = new();

    public override PSHostRawUserInterface RawUI => _rawUI;

    private static readonly bool s_stdoutIsTerminal = !Console.IsOutputRedirected;
    private static readonly bool s_stderrIsTerminal = !Console.IsErrorRedirected;

    /// <summary>
    /// True only when stdout is a terminal. The engine's formatter and error view decorate their text
    /// with ANSI sequences ($PSStyle); like the real console host we strip them again (see
    /// <see cref="Plain"/>) wherever the text does not go to a terminal, honouring
    /// $PSStyle.OutputRendering (Host = colours only on a terminal, PlainText, Ansi).
    /// </summary>
    public override bool SupportsVirtualTerminal => s_stdoutIsTerminal;

    /// <summary>
    /// While true, ordinary output goes to stderr. Program sets it while it pipes an error record
    /// through Out-Default, to print that record in pwsh's error view on stderr.
    /// </summary>
    internal bool RedirectOutputToError { get; set; }

    // ---- output -------------------------------------------------------------------------

    public override void Write(string value) => WriteOut(value, newLine: false);

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
        WriteOut(value, newLine: false);

    public override void WriteLine() => WriteOut(string.Empty, newLine: true);

    public override void WriteLine(string value) => WriteOut(value, newLine: true);

    public override void WriteLine(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
        WriteOut(value, newLine: true);

    /// <summary>Error records (via Out-Default) and our own error reports: stderr.</summary>
    public override void WriteErrorLine(string value) => WriteErr(value);

    public override void WriteDebugLine(string message) => WriteOut("DEBUG: " + message, newLine: true);

    public override void WriteVerboseLine(string message) => WriteOut("VERBOSE: " + message, newLine: true);

    public override void WriteWarningLine(string message) => WriteOut("WARNING: " + message, newLine: true);

    private void WriteOut(string? value, bool newLine)
    {
        if (RedirectOutputToError)
        {
            WriteErr(value, newLine);
            return;
        }

        value = Plain(value, s_stdoutIsTerminal);
        if (newLine)
        {
            Console.Out.WriteLine(value);
        }
        else
        {
            Console.Out.Write(value);
        }
    }

    private static void WriteErr(string? value, bool newLine = true)
    {
        value = Plain(value, s_stderrIsTerminal);
        if (newLine)
        {
            Console.Error.WriteLine(value);
        }
        else
        {
            Console.Error.Write(value);
        }
    }

    /// <summary>
    /// Removes ANSI decoration unless $PSStyle.OutputRendering allows it for this destination, as pwsh
    /// does: Ansi keeps it everywhere, PlainText nowhere, Host (the default) only on a terminal.
    /// </summary>
    private static string? Plain(string? value, bool toTerminal)
    {
        if (string.IsNullOrEmpty(value) || !value.Contains('\u001b'))
        {
            return value;
        }

        OutputRendering rendering = PSStyle.Instance.OutputRendering;
        bool keep = rendering == OutputRendering.Ansi || (rendering == OutputRendering.Host && toTerminal);
        return keep ? value : new StringDecorated(value).ToString(OutputRendering.PlainText);
    }

    /// <summary>Progress bars make no sense in a non-interactive run whose output is read by tests: dropped.</summary>
    public override void WriteProgress(long sourceId, ProgressRecord record) { }

    // ---- input: none of it is available -------------------------------------------------

    public override string ReadLine() => throw NonInteractive();

    public override SecureString ReadLineAsSecureString() => throw NonInteractive();

    public override Dictionary<string, PSObject> Prompt(
        string caption, string message, Collection<FieldDescription> descriptions) => throw NonInteractive();

    public override PSCredential PromptForCredential(
        string caption, string message, string userName, string targetName) => throw NonInteractive();

    public override PSCredential PromptForCredential(
        string caption, string message, string userName, string targetName,
        PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw NonInteractive();

    public override int PromptForChoice(
        string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) =>
        throw NonInteractive();

    private static PSInvalidOperationException NonInteractive() => new(NonInteractiveMessage);
}

/// <summary>
/// The bare minimum of a raw console: a fixed-size virtual buffer whose width the
/// formatter uses to lay out tables. No cursor control, no key reading.
/// </summary>
internal sealed class HostRawUserInterface : PSHostRawUserInterface
{
    private const int FallbackWidth = 120;
    private const int FallbackHeight = 50;

    private readonly Size _size = DetectSize();

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override Coordinates CursorPosition { get; set; }
    public override int CursorSize { get; set; } = 25;
    public override Coordinates WindowPosition { get; set; }
    public override string WindowTitle { get; set; } = "pwsh";

    public override Size BufferSize { get => _size; set { } }
    public override Size WindowSize { get => _size; set { } }
    public override Size MaxWindowSize => _size;
    public override Size MaxPhysicalWindowSize => _size;

    public override bool KeyAvailable => false;

    public override KeyInfo ReadKey(ReadKeyOptions options) =>
        throw new PSInvalidOperationException(HostUserInterface.NonInteractiveMessage);

    public override void FlushInputBuffer() { }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
        throw new PSNotSupportedException("This host has no screen buffer to read.");

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }

    /// <summary>
    /// Terminal width when stdout is a terminal (as pwsh does), otherwise a fixed 120 columns
    /// so redirected output (tests, logs) does not depend on whoever launched us.
    /// </summary>
    private static Size DetectSize()
    {
        try
        {
            if (!Console.IsOutputRedirected)
            {
                int w = Console.WindowWidth, h = Console.WindowHeight;
                if (w > 0 && h > 0)
                {
                    return new Size(w, h);
                }
            }
        }
        catch (Exception)
        {
            // No console at all (e.g. started detached): use the fallback below.
        }

        return new Size(FallbackWidth, FallbackHeight);
    }
}
