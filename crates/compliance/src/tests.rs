//! Loader diagnostics: every problem, with its file, line and column.

use super::*;

fn rules() -> RuleSet {
    RuleSet::builtin().expect("builtin rules load")
}

/// Loads one in-memory file named `demo.yaml` and returns its diagnostics
/// as `line:col: message` strings.
fn diags_of(text: &str) -> Vec<String> {
    match Frameworks::from_sources(&[("fw/demo.yaml", text)], &rules()) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics
            .iter()
            .map(|d| {
                assert_eq!(d.file, "fw/demo.yaml");
                format!("{}:{}: {}", d.line, d.column, d.message)
            })
            .collect(),
    }
}

const GOOD: &str = r#"
id: demo
name: Demo framework
name_ko: 데모 프레임워크
version: "1.0"
sections:
  - id: "1"
    title: {en: Storage, ko: 스토리지}
requirements:
  - id: "1.1"
    section: "1"
    title:
      en: Buckets are not public
      ko: 버킷이 공개되지 않는다
    rules: [s3-bucket-public-read, s3-bucket-policy-public]
  - id: "1.10"
    title: {en: Data is classified, ko: 데이터를 분류한다}
    manual: true
"#;

#[test]
fn a_good_file_loads_with_its_numbering_kept() {
    let fws = Frameworks::from_sources(&[("fw/demo.yaml", GOOD)], &rules()).unwrap();
    let fw = fws.get("demo").unwrap();
    assert_eq!(fw.name_in("ko"), "데모 프레임워크");
    assert_eq!(fw.version, "1.0");
    let ids: Vec<&str> = fw.requirements.iter().map(|r| r.id.as_str()).collect();
    // Quoted ids keep their text: "1.10" is not the number 1.1.
    assert_eq!(ids, ["1.1", "1.10"]);
    assert_eq!(
        fw.requirement("1.1").unwrap().rules(),
        ["s3-bucket-public-read", "s3-bucket-policy-public"]
    );
    assert!(fw.requirement("1.10").unwrap().is_manual());
    assert_eq!(fw.section("1").unwrap().title.get("ko"), "스토리지");
    assert_eq!(
        fw.rule_ids(),
        ["s3-bucket-public-read", "s3-bucket-policy-public"]
    );
}

#[test]
fn unknown_rule_id_is_reported_at_its_line_with_a_suggestion() {
    let text = GOOD.replace("s3-bucket-policy-public]", "s3-bucket-polcy-public]");
    let d = diags_of(&text);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].starts_with("15:"), "{d:?}");
    assert!(
        d[0].contains("unknown rule `s3-bucket-polcy-public`"),
        "{d:?}"
    );
    assert!(
        d[0].contains("did you mean `s3-bucket-policy-public`?"),
        "{d:?}"
    );
}

#[test]
fn duplicate_requirement_id_names_the_first() {
    let text = GOOD.replace("id: \"1.10\"", "id: \"1.1\"");
    let d = diags_of(&text);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].starts_with("16:"), "{d:?}");
    assert!(
        d[0].contains("duplicate requirement id `1.1`: already defined at line 10"),
        "{d:?}"
    );
}

#[test]
fn missing_title_and_missing_language_are_reported() {
    let text = GOOD
        .replace(
            "    title:\n      en: Buckets are not public\n      ko: 버킷이 공개되지 않는다\n",
            "",
        )
        .replace("ko: 데이터를 분류한다", "ko: \"\"");
    let d = diags_of(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d[0].starts_with("10:"), "{d:?}");
    assert!(d[0].contains("requirement `1.1` has no `title`"), "{d:?}");
    assert!(d[1].starts_with("14:"), "{d:?}");
    assert!(
        d[1].contains("requirement `1.10`: `title` needs a non-empty `ko` text"),
        "{d:?}"
    );
}

#[test]
fn rules_and_manual_together_are_an_error() {
    let text = GOOD.replace(
        "    rules: [s3-bucket-public-read, s3-bucket-policy-public]\n",
        "    rules: [s3-bucket-public-read]\n    manual: true\n",
    );
    let d = diags_of(&text);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].starts_with("16:"), "{d:?}");
    assert!(
        d[0].contains("requirement `1.1` has both `rules` and `manual: true`"),
        "{d:?}"
    );
}

#[test]
fn neither_rules_nor_manual_and_empty_rules_are_errors() {
    let text = GOOD
        .replace("    manual: true\n", "")
        .replace("[s3-bucket-public-read, s3-bucket-policy-public]", "[]");
    let d = diags_of(&text);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d[0].contains("`rules` is empty"), "{d:?}");
    assert!(
        d[1].contains("requirement `1.10` needs `rules: [rule ids]` or `manual: true`"),
        "{d:?}"
    );
}

#[test]
fn every_problem_of_every_file_is_reported_at_once() {
    let bad_a = GOOD
        .replace("s3-bucket-public-read,", "no-such-rule,")
        .replace("section: \"1\"", "section: \"9\"");
    let bad_b = "id: other\nname: Other\nversion: '1'\nrequirements: []\n";
    let err = Frameworks::from_sources(
        &[("fw/demo.yaml", bad_a.as_str()), ("fw/other.yaml", bad_b)],
        &rules(),
    )
    .unwrap_err();
    let lines: Vec<String> = err.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].starts_with("fw/demo.yaml:11:14: "), "{lines:#?}");
    assert!(lines[0].contains("unknown section `9`"), "{lines:#?}");
    assert!(lines[1].starts_with("fw/demo.yaml:15:13: "), "{lines:#?}");
    assert!(
        lines[1].contains("unknown rule `no-such-rule`"),
        "{lines:#?}"
    );
    assert!(lines[2].starts_with("fw/other.yaml:4:"), "{lines:#?}");
    assert!(err.to_string().starts_with("3 errors in framework files:"));
}

#[test]
fn structural_errors_have_positions() {
    let text = GOOD.replace("    manual: true\n", "    manual: true\n    weight: 3\n");
    let d = diags_of(&text);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].contains("unknown field `weight`"), "{d:?}");
    assert!(d[0].starts_with("19:5:"), "{d:?}");
}

#[test]
fn id_must_match_file_name_and_be_unique() {
    let d = diags_of(&GOOD.replace("id: demo", "id: demo-2"));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].contains("framework id `demo-2` must equal the file name `demo`"),
        "{d:?}"
    );
    let err = Frameworks::from_sources(&[("a/demo.yaml", GOOD), ("b/demo.yaml", GOOD)], &rules())
        .unwrap_err();
    assert_eq!(err.diagnostics.len(), 1, "{err}");
    assert!(
        err.diagnostics[0]
            .message
            .contains("duplicate framework id `demo`: already defined in a/demo.yaml:2:5"),
        "{err}"
    );
}

#[test]
fn yaml_1_1_booleans_are_not_accepted_for_manual() {
    let d = diags_of(&GOOD.replace("manual: true", "manual: yes"));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].starts_with("18:13:"), "{d:?}");
    assert!(d[0].contains("boolean"), "{d:?}");
}

#[test]
fn unquoted_numeric_ids_keep_their_text() {
    let fws = Frameworks::from_sources(
        &[(
            "fw/demo.yaml",
            &GOOD.replace("\"1.10\"", "1.10").replace("\"1.1\"", "1.1"),
        )],
        &rules(),
    )
    .unwrap();
    let ids: Vec<&str> = fws.all()[0]
        .requirements
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, ["1.1", "1.10"]);
}
