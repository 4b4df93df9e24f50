// The base of the binary cmdlets in generated/Variants.cs, one per cmdlet and parameter set, which the generated
// functions hand each call to (as Microsoft's proxy functions hand it to Set-MgUserPresence_SetExpanded and the
// like). Being the command that runs, the variant is what -WhatIf text, error records and ConciseView name.
using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;

namespace MgPresence.Runtime
{
    public abstract class VariantCmdlet : PSCmdlet
    {
        protected VariantCmdlet(string command, string parameterSet)
        {
            Command = command;
            ParameterSet = parameterSet;
        }

        /// <summary>The public cmdlet (`Set-MgUserPresence`).</summary>
        public string Command { get; }

        /// <summary>The parameter set this variant binds (`SetExpanded`).</summary>
        public string ParameterSet { get; }

        /// <summary>
        /// The TargetObject of this call's error records: an anonymous object with the ids, query options, Headers and
        /// body, as Microsoft's cmdlets give it.
        /// </summary>
        protected abstract object ErrorTarget { get; }

        /// <summary>The expanded body parameters that were bound, as the body part of <see cref="ErrorTarget"/>.</summary>
        protected Hashtable ExpandedBody(params string[] names)
        {
            var body = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var name in names)
            {
                if (MyInvocation.BoundParameters.TryGetValue(name, out var value)) body[name] = value;
            }
            return body;
        }

        protected override void ProcessRecord() =>
            CmdletInvoker.Invoke(this, Command, ParameterSet, MyInvocation.BoundParameters, () => ErrorTarget);
    }

    /// <summary>The variant cmdlets by name (`Set-MgUserPresence_SetExpanded`), for the generated functions to call.</summary>
    public static partial class VariantCmdlets
    {
        private static readonly ConcurrentDictionary<string, CmdletInfo> Infos = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>The variant cmdlet of a cmdlet's parameter set.</summary>
        public static CmdletInfo Get(string command, string parameterSet)
        {
            var name = command + "_" + parameterSet;
            return Infos.GetOrAdd(name, n => Types.TryGetValue(n, out var type)
                ? new CmdletInfo(n, type)
                : throw new PSArgumentException($"{command} has no parameter set '{parameterSet}'."));
        }
    }
}
