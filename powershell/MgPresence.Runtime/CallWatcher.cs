// Ctrl+C for single cmdlet calls. Connect-MgGraph and Invoke-MgBulkUserPresence are script functions, which cannot
// override StopProcessing (the variant cmdlets could, but one way serves all three), and the pipeline thread is
// blocked in the engine (graph_session_invoke) while the request is out or a Retry-After is waited out. So each call is
// registered here with its cmdlet, and one process-wide thread looks at the registered calls' cmdlet.Stopping every
// PollMilliseconds while any call runs (and sleeps on a monitor otherwise); for a stopping one it asks the engine to
// cancel the call (graph_session_cancel_call), which drops the request and returns a cancelled outcome at once.
// A call costs a lock and a list entry: no thread, timer or allocation of its own. The watcher parks only after a
// second without calls, so calls in a loop never have to wake it.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;

namespace MgPresence.Runtime
{
    public static class CallWatcher
    {
        /// <summary>How often the running calls are looked at.</summary>
        public const int PollMilliseconds = 25;

        private static readonly object Gate = new();
        private static readonly List<(ulong Id, PSCmdlet Cmdlet)> Running = new();
        private static ulong lastId;
        private static Thread? watcher;

        /// <summary>
        /// How many empty rounds the watcher waits before it parks: a script that calls cmdlets in a loop leaves the list
        /// empty between calls, and a parked watcher would have to be woken (a context switch) on every call.
        /// </summary>
        private const int IdleRoundsBeforeParking = 40;

        /// <summary>Whether the watcher is waiting on <see cref="Gate"/> for a first call (guarded by Gate).</summary>
        private static bool parked;

        /// <summary>Registers a call about to enter the engine; returns its call id (never 0).</summary>
        public static ulong Begin(PSCmdlet cmdlet)
        {
            lock (Gate)
            {
                var id = ++lastId;
                Running.Add((id, cmdlet));
                if (watcher is null)
                {
                    watcher = new Thread(Watch) { IsBackground = true, Name = "MgPresence call watcher" };
                    watcher.Start();
                }
                else if (parked)
                {
                    parked = false;
                    Monitor.Pulse(Gate);
                }
                return id;
            }
        }

        /// <summary>
        /// Runs an engine call registered for <paramref name="cmdlet"/>: <paramref name="call"/> gets the call id to pass
        /// to the engine, so Ctrl+C cancels it there.
        /// </summary>
        public static T Watched<T>(PSCmdlet cmdlet, Func<ulong, T> call)
        {
            var id = Begin(cmdlet);
            try
            {
                return call(id);
            }
            finally
            {
                End(id);
            }
        }

        /// <summary>The call returned from the engine.</summary>
        public static void End(ulong id)
        {
            lock (Gate)
            {
                for (var i = Running.Count - 1; i >= 0; i--)
                {
                    if (Running[i].Id != id) continue;
                    Running.RemoveAt(i);
                    break;
                }
            }
        }

        /// <summary>How many calls are registered (for the tests).</summary>
        public static int RunningCount
        {
            get { lock (Gate) return Running.Count; }
        }

        private static void Watch()
        {
            var stopping = new List<ulong>();
            var idleRounds = 0;
            while (true)
            {
                lock (Gate)
                {
                    if (Running.Count > 0) idleRounds = 0;
                    else if (++idleRounds >= IdleRoundsBeforeParking)
                    {
                        parked = true;
                        while (parked) Monitor.Wait(Gate);
                        idleRounds = 0;
                    }
                }
                Thread.Sleep(PollMilliseconds);
                lock (Gate)
                {
                    foreach (var (id, cmdlet) in Running)
                    {
                        bool isStopping;
                        try { isStopping = cmdlet.Stopping; }
                        catch (Exception) { isStopping = false; }
                        if (isStopping) stopping.Add(id);
                    }
                }
                foreach (var id in stopping)
                {
                    // 0 when the engine has not taken the call yet (or it just finished): the next round asks again
                    // while it is still registered here.
                    // Whatever goes wrong here must not end the thread: an exception on a background thread would
                    // end the whole PowerShell process.
                    try { Engine.CancelCall(id); }
                    catch (Exception) { }
                }
                stopping.Clear();
            }
        }
    }
}
