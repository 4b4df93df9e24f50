// Tab completion of -Availability and -Activity. The values and pairs are the domain's, generated into
// generated/PresenceValues.cs (one sealed completer class per body, named in the generated functions'
// [ArgumentCompleter()] attributes); this is only the logic: which values fit what is already typed, filtered by the
// typed prefix and quoted as PowerShell quotes completions.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace MgPresence.Runtime
{
    public abstract class PresenceValueCompleter : IArgumentCompleter
    {
        private readonly (string Availability, string Activity)[]? pairs;

        /// <param name="pairs">The pairs the action accepts; null when any valid value goes.</param>
        protected PresenceValueCompleter((string Availability, string Activity)[]? pairs) => this.pairs = pairs;

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var completesActivity = string.Equals(parameterName, "Activity", StringComparison.OrdinalIgnoreCase);
            var (prefix, quote) = Unquote(wordToComplete ?? "");
            var results = new List<CompletionResult>();
            foreach (var value in Candidates(completesActivity, fakeBoundParameters))
            {
                if (!value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
                results.Add(new CompletionResult(Quote(value, quote), value, CompletionResultType.ParameterValue, ToolTip(value, completesActivity)));
            }
            return results;
        }

        /// <summary>
        /// The values for -Activity (or -Availability), in the domain's order: any valid value when the action has no
        /// pair rule; otherwise the ones in its pairs, and only those that go with the other member when it is already
        /// given and is in a pair.
        /// </summary>
        public IReadOnlyList<string> Candidates(bool activity, IDictionary? boundParameters)
        {
            var all = activity ? PresenceValues.Activities : PresenceValues.Availabilities;
            if (pairs is null) return all;
            var other = BoundText(boundParameters, activity ? "Availability" : "Activity");
            var fitting = Members(activity, other);
            // A given value that is in no pair (a typo, a variable not known yet) narrows nothing.
            if (fitting.Count == 0 && other is not null) fitting = Members(activity, null);
            var ordered = new List<string>(fitting.Count);
            foreach (var value in all)
            {
                if (fitting.Contains(value)) ordered.Add(value);
            }
            return ordered;
        }

        private HashSet<string> Members(bool activity, string? other)
        {
            var members = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (availability, act) in pairs!)
            {
                var otherMember = activity ? availability : act;
                if (other is null || string.Equals(otherMember, other.Trim(), StringComparison.OrdinalIgnoreCase)) members.Add(activity ? act : availability);
            }
            return members;
        }

        private string ToolTip(string value, bool activity)
        {
            if (pairs is null) return value;
            var partners = new List<string>();
            foreach (var (availability, act) in pairs)
            {
                if (activity ? act == value : availability == value) partners.Add(activity ? availability : act);
            }
            return $"{value} (with {(activity ? "-Availability" : "-Activity")} {string.Join(", ", partners)})";
        }

        private static string? BoundText(IDictionary? bound, string name)
        {
            if (bound is null) return null;
            object? value = bound.Contains(name) ? bound[name] : null;
            if (value is null)
            {
                foreach (DictionaryEntry entry in bound)
                {
                    if (string.Equals(entry.Key as string, name, StringComparison.OrdinalIgnoreCase)) value = entry.Value;
                }
            }
            if (value is PSObject pso) value = pso.BaseObject;
            return value is string text && text.Trim().Length > 0 ? text : null;
        }

        private static bool IsQuote(char c) => c == '\'' || c == '"' || c == '\u2018' || c == '\u2019' || c == '\u201C' || c == '\u201D';

        /// <summary>The typed word without its opening (and closing) quote, and the quote it began with.</summary>
        internal static (string Prefix, char? Quote) Unquote(string word)
        {
            if (word.Length == 0 || !IsQuote(word[0])) return (word, null);
            var inner = word.Substring(1);
            if (inner.Length > 0 && IsQuote(inner[inner.Length - 1])) inner = inner.Substring(0, inner.Length - 1);
            return (inner, word[0]);
        }

        /// <summary>
        /// As PowerShell completes values: in the quote the user opened; otherwise bare, or in single quotes when the
        /// value would not parse as one bare word.
        /// </summary>
        internal static string Quote(string value, char? quote)
        {
            if (quote is '"' or '\u201C' or '\u201D') return "\"" + value.Replace("`", "``").Replace("\"", "`\"").Replace("$", "`$") + "\"";
            if (quote is not null || NeedsQuotes(value)) return "'" + value.Replace("'", "''") + "'";
            return value;
        }

        private static bool NeedsQuotes(string value)
        {
            if (value.Length == 0) return true;
            foreach (var c in value)
            {
                if (char.IsWhiteSpace(c) || IsQuote(c) || "$`(){}[];,|&<>@#".IndexOf(c) >= 0) return true;
            }
            return false;
        }
    }
}
