//! Test counts read from a test result file: the NUnit 2.5, NUnit 3 or JUnit XML that Pester writes.
//!
//! The counts are the root element's attributes, so a run that crashed before writing its file, or wrote a
//! different format, is an error rather than zero tests.

use anyhow::{Context, Result, bail};
use quick_xml::events::Event;
use std::collections::HashMap;
use std::path::Path;

/// Passed, failed and skipped tests of one result file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PesterCounts {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl PesterCounts {
    /// Reads the counts from a result file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("no test results at {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("cannot read the test counts in {}", path.display()))
    }

    /// Reads the counts from the text of a result file.
    pub fn parse(xml: &str) -> Result<Self> {
        let mut reader = quick_xml::Reader::from_str(xml);
        loop {
            match reader.read_event()? {
                Event::Start(root) | Event::Empty(root) => {
                    let mut attributes = HashMap::new();
                    for attribute in root.attributes() {
                        let attribute = attribute?;
                        let value = attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0)?.parse::<u64>().unwrap_or(0);
                        attributes.insert(attribute.key.as_ref().to_owned(), value);
                    }
                    let of = |names: &[&str]| names.iter().map(|n| attributes.get(*n).copied().unwrap_or(0)).sum::<u64>();
                    return match root.name().as_ref() {
                        // NUnit 2.5 as Pester writes it: total is every test but the not-run ones, so it holds the
                        // failed, skipped, ignored and inconclusive ones too.
                        "test-results" => {
                            let failed = of(&["failures", "errors", "invalid"]);
                            let skipped_in_total = of(&["ignored", "skipped", "inconclusive"]);
                            let passed = of(&["total"]).saturating_sub(failed + skipped_in_total);
                            Ok(Self { passed, failed, skipped: skipped_in_total + of(&["not-run"]) })
                        }
                        // NUnit 3.
                        "test-run" => Ok(Self { passed: of(&["passed"]), failed: of(&["failed"]), skipped: of(&["skipped", "inconclusive"]) }),
                        // JUnit: tests counts every test, failed and skipped ones included.
                        "testsuites" | "testsuite" => {
                            let failed = of(&["failures", "errors"]);
                            let skipped = of(&["skipped", "disabled"]);
                            Ok(Self { passed: of(&["tests"]).saturating_sub(failed + skipped), failed, skipped })
                        }
                        other => bail!("the root element <{}> is not NUnit or JUnit", other),
                    };
                }
                Event::Eof => bail!("the file has no root element"),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PesterCounts;

    #[test]
    fn reads_nunit_2_5_as_pester_writes_it() {
        let xml = r#"<?xml version="1.0" encoding="utf-8" standalone="no"?>
<test-results xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="Pester" total="12" errors="0" failures="2" not-run="3" inconclusive="1" ignored="0" skipped="4" invalid="0" date="2026-12-01" time="15:00:00"><environment /></test-results>"#;
        // Pester writes total = TotalCount - NotRunCount: 5 passed + 2 failed + 4 skipped + 1 inconclusive.
        assert_eq!(PesterCounts::parse(xml).unwrap(), PesterCounts { passed: 5, failed: 2, skipped: 8 });
    }

    #[test]
    fn reads_nunit_3_and_junit() {
        let nunit3 = r#"<test-run id="0" testcasecount="9" result="Failed" total="9" passed="7" failed="1" inconclusive="0" skipped="1"></test-run>"#;
        assert_eq!(PesterCounts::parse(nunit3).unwrap(), PesterCounts { passed: 7, failed: 1, skipped: 1 });
        let junit = r#"<?xml version="1.0"?><testsuites tests="9" failures="1" errors="1" disabled="2" name="Pester"></testsuites>"#;
        assert_eq!(PesterCounts::parse(junit).unwrap(), PesterCounts { passed: 5, failed: 2, skipped: 2 });
    }

    #[test]
    fn refuses_what_is_not_a_result_file() {
        assert!(PesterCounts::parse("<html></html>").is_err());
        assert!(PesterCounts::parse("").is_err());
    }
}
