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

        /// <summary>
        /// The arguments a generated function hands its variant: the parameters bound to the function, and the
        /// caller's preferences as the common parameters that carry them, unless given. The variant runs in the module's
        /// scope, which does not see a preference variable a script set in its own scope (`$ErrorActionPreference =
        /// 'Stop'` in a script), while a cmdlet the script calls does see it; so the function reads them where the
        /// caller is (<see cref="PSCmdlet.SessionState"/> of the function is the caller's) and passes them on.
        /// </summary>
        public static Hashtable Arguments(PSCmdlet function, IDictionary bound)
        {
            var arguments = new Hashtable(bound.Count + 6, StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in bound) arguments[entry.Key] = entry.Value;
            var caller = function.SessionState.PSVariable;
            T? Preference<T>(string variable) where T : struct =>
                caller.GetValue(variable) is { } value && LanguagePrimitives.TryConvertTo<T>(value, out var converted) ? converted : null;
            void Carry(string parameter, string variable)
            {
                if (!arguments.ContainsKey(parameter) && Preference<ActionPreference>(variable) is { } preference) arguments[parameter] = preference;
            }
            Carry("ErrorAction", "ErrorActionPreference");
            Carry("WarningAction", "WarningPreference");
            Carry("InformationAction", "InformationPreference");
            static bool Shown(ActionPreference? p) => p is { } value && value != ActionPreference.SilentlyContinue && value != ActionPreference.Ignore;
            if (!arguments.ContainsKey("Verbose") && Shown(Preference<ActionPreference>("VerbosePreference"))) arguments["Verbose"] = SwitchParameter.Present;
            if (!arguments.ContainsKey("Debug") && Shown(Preference<ActionPreference>("DebugPreference"))) arguments["Debug"] = SwitchParameter.Present;
            if (function.MyInvocation.MyCommand.Parameters.ContainsKey("WhatIf"))
            {
                if (!arguments.ContainsKey("WhatIf") && Preference<SwitchParameter>("WhatIfPreference") is { IsPresent: true }) arguments["WhatIf"] = SwitchParameter.Present;
                // Every variant is of ConfirmImpact Medium: Low or Medium asks, None never does.
                if (!arguments.ContainsKey("Confirm") && Preference<ConfirmImpact>("ConfirmPreference") is { } confirm)
                {
                    if (confirm == ConfirmImpact.None) arguments["Confirm"] = new SwitchParameter(false);
                    else if (confirm <= ConfirmImpact.Medium) arguments["Confirm"] = SwitchParameter.Present;
                }
            }
            return arguments;
        }

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
