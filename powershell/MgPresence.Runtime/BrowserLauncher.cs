// Opening the sign-in address in the user's browser the way the platform opens URLs: the shell on Windows, `open` on
// macOS, `xdg-open` elsewhere; or the command the BROWSER variable names (the Unix convention, which lets a headless
// runner or a test supply its own browser). Where no browser can be opened (no desktop session on Linux, a
// non-interactive Windows service), Connect-MgGraph signs in with a device code instead, as Microsoft's module does.
using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;

namespace MgPresence.Runtime
{
    public static class BrowserLauncher
    {
        /// <summary>The variable naming the browser command to use.</summary>
        public const string BrowserVariable = "BROWSER";

        private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

        /// <summary>Whether a browser can be opened here.</summary>
        public static bool CanOpen()
        {
            if (Variable(BrowserVariable) is not null) return true;
            if (OperatingSystem.IsWindows()) return Environment.UserInteractive;
            if (OperatingSystem.IsMacOS()) return true;
            return (Variable("DISPLAY") is not null || Variable("WAYLAND_DISPLAY") is not null) && OnPath("xdg-open");
        }

        private static bool OnPath(string program)
        {
            foreach (var directory in (Variable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                if (File.Exists(Path.Combine(directory, program))) return true;
            }
            return false;
        }

        /// <summary>Opens <paramref name="url"/>; false, with the reason, when the browser could not be started.</summary>
        public static bool TryOpen(string url, out string problem)
        {
            problem = "";
            ProcessStartInfo start;
            if (Variable(BrowserVariable) is { } browser)
            {
                // The first command of the list; "%s" stands for the address, which is appended otherwise.
                var command = browser.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)[0];
                var parts = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                start = new ProcessStartInfo(parts[0]);
                var placed = false;
                for (var i = 1; i < parts.Length; i++)
                {
                    placed |= parts[i].Contains("%s", StringComparison.Ordinal);
                    start.ArgumentList.Add(parts[i].Replace("%s", url, StringComparison.Ordinal));
                }
                if (!placed) start.ArgumentList.Add(url);
            }
            else if (OperatingSystem.IsWindows())
            {
                start = new ProcessStartInfo(url) { UseShellExecute = true };
            }
            else
            {
                start = new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open");
                start.ArgumentList.Add(url);
            }
            if (!start.UseShellExecute)
            {
                // The browser's own output is not PowerShell's.
                start.RedirectStandardOutput = true;
                start.RedirectStandardError = true;
            }
            try
            {
                using var process = Process.Start(start);
                if (process is null)
                {
                    problem = $"{start.FileName} did not start";
                    return false;
                }
                if (!start.UseShellExecute)
                {
                    process.OutputDataReceived += (_, _) => { };
                    process.ErrorDataReceived += (_, _) => { };
                    process.BeginOutputReadLine();
                    process.BeginErrorReadLine();
                }
                return true;
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
            {
                problem = e.Message;
                return false;
            }
        }
    }
}
