//! One rule file: YAML node tree to [`Rule`], every problem reported.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rampart_findings::{RiskFactor, Severity};
use rampart_inventory::Resource;

use super::node::{Kind, Node};
use super::schema::{Obj, Reader};
use crate::diag::Diagnostic;
use crate::lang::Cond;
use crate::lang::compile::Compiler;
use crate::rule::{Expect, Localized, Remediation, Rule, RuleStatus, TestCase};
use crate::template::Template;

const RULE_KEYS: &[&str] = &[
    "id",
    "status",
    "since",
    "title",
    "description",
    "severity",
    "resource",
    "applies_if",
    "fail_if",
    "reason",
    "pass_reason",
    "remediation",
    "fix",
    "mitre",
    "risk_factors",
    "references",
    "tests",
];

/// Account and region of inline test resources unless the case sets them.
pub const TEST_ACCOUNT: &str = "123456789012";
pub const TEST_REGION: &str = "ap-northeast-2";

/// Reads one rule file. `stem` is the file name without extension, which
/// must equal the id. Returns None when any diagnostic was reported.
pub fn read_rule(root: &Node, file: &str, stem: &str, diags: &mut Vec<Diagnostic>) -> Option<Rule> {
    let before = diags.len();
    let mut rd = Reader { file, diags };
    let o = rd.obj(root, "the rule", RULE_KEYS)?;

    let id = rd.req_string(&o, "id");
    if let (Some(id), Some(n)) = (&id, root.get("id")) {
        if !is_kebab(id) {
            rd.err(
                n,
                format!("rule id `{id}` must be kebab-case (a-z, 0-9 and single dashes)"),
            );
        } else if id != stem {
            rd.err(n, format!("rule id `{id}` does not match the file name `{stem}`: name the file `{id}.yaml`"));
        }
    }
    let status = rd
        .required(&o, "status")
        .and_then(|n| parse_enum::<RuleStatus>(&mut rd, n));
    let since = rd.req_string(&o, "since");
    if let (Some(s), Some(n)) = (&since, root.get("since"))
        && !is_version(s)
    {
        rd.err(
            n,
            format!("`since` must be a version like 0.1.0, got `{s}`"),
        );
    }
    let title = localized(&mut rd, &o, "title");
    let description = localized(&mut rd, &o, "description");
    let severity = rd
        .required(&o, "severity")
        .and_then(|n| parse_enum::<Severity>(&mut rd, n));
    let resource_type = rd.req_string(&o, "resource");
    if let (Some(t), Some(n)) = (&resource_type, root.get("resource"))
        && !is_resource_type(t)
    {
        rd.err(
            n,
            format!("resource type `{t}` must look like `aws.<service>.<kind>` (lower case)"),
        );
    }
    let remediation = remediation(&mut rd, &o);
    let fix = rd.opt_string(&o, "fix");
    let mitre: Vec<String> = rd
        .string_list(&o, "mitre")
        .into_iter()
        .filter_map(|(m, pos)| {
            if is_mitre(&m) {
                Some(m)
            } else {
                rd.diags.push(Diagnostic::new(
                    file,
                    pos,
                    format!("`{m}` is not a MITRE ATT&CK technique id like T1530 or T1078.004"),
                ));
                None
            }
        })
        .collect();
    let risk_factors: Vec<RiskFactor> = rd
        .string_list(&o, "risk_factors")
        .into_iter()
        .filter_map(|(f, pos)| match f.parse::<RiskFactor>() {
            Ok(f) => Some(f),
            Err(e) => {
                rd.diags.push(Diagnostic::new(file, pos, e));
                None
            }
        })
        .collect();
    let references: Vec<String> = rd
        .string_list(&o, "references")
        .into_iter()
        .filter_map(|(u, pos)| {
            if u.starts_with("https://") || u.starts_with("http://") {
                Some(u)
            } else {
                rd.diags.push(Diagnostic::new(
                    file,
                    pos,
                    format!("reference `{u}` is not an http(s) URL"),
                ));
                None
            }
        })
        .collect();
    let reason = template(&mut rd, &o, "reason");
    let pass_reason = template(&mut rd, &o, "pass_reason");

    let mut cc = Compiler {
        file,
        diags: rd.diags,
        known: resource_type.as_deref().and_then(super::known::known_names),
        check_elements: false,
    };
    let applies_if = root.get("applies_if").map(|n| cc.cond(n, false));
    let fail_if = root.get("fail_if").map(|n| cc.cond(n, false));
    let mut rd = Reader {
        file,
        diags: cc.diags,
    };
    if fail_if.is_none() {
        rd.err(root, "missing required key `fail_if` in the rule");
    }

    let tests = tests(
        &mut rd,
        &o,
        resource_type.as_deref().unwrap_or(""),
        id.as_deref().unwrap_or("rule"),
    );

    if rd.diags.len() > before {
        return None;
    }
    let fail_if = fail_if?;
    Some(Rule {
        id: id?,
        status: status?,
        since: since?,
        title: title?,
        description: description?,
        severity: severity?,
        resource_type: resource_type?,
        remediation: remediation?,
        fix,
        mitre,
        risk_factors,
        references,
        source: file.to_string(),
        applies_reads: reads(applies_if.as_ref()),
        fail_reads: reads(Some(&fail_if)),
        applies_if,
        fail_if,
        reason,
        pass_reason,
        tests,
    })
}

fn reads(c: Option<&Cond>) -> Vec<String> {
    let mut set = BTreeSet::new();
    if let Some(c) = c {
        c.for_each_path(&mut |p| {
            if let Some(t) = p.top_prop() {
                set.insert(t.to_string());
            }
        });
    }
    set.into_iter().collect()
}

fn parse_enum<T: FromStr>(rd: &mut Reader<'_>, n: &Node) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    let s = rd.string(n, "this value")?;
    match s.parse::<T>() {
        Ok(v) => Some(v),
        Err(e) => {
            rd.err(n, e.to_string());
            None
        }
    }
}

fn localized(rd: &mut Reader<'_>, o: &Obj<'_>, key: &'static str) -> Option<Localized> {
    let n = rd.required(o, key)?;
    localized_node(rd, n, key)
}

fn localized_node(rd: &mut Reader<'_>, n: &Node, key: &'static str) -> Option<Localized> {
    let what: &'static str = match key {
        "title" => "`title`",
        "description" => "`description`",
        _ => "`console`",
    };
    let lo = rd.obj(n, what, &["en", "ko"])?;
    let en = rd.req_string(&lo, "en");
    let ko = rd.req_string(&lo, "ko");
    Some(Localized { en: en?, ko: ko? })
}

fn remediation(rd: &mut Reader<'_>, o: &Obj<'_>) -> Option<Remediation> {
    let n = rd.required(o, "remediation")?;
    let ro = rd.obj(
        n,
        "`remediation`",
        &["en", "ko", "cli", "terraform", "console"],
    )?;
    let en = rd.req_string(&ro, "en");
    let ko = rd.req_string(&ro, "ko");
    let cli = rd.opt_string(&ro, "cli");
    let terraform = rd.opt_string(&ro, "terraform");
    let console = match n.get("console") {
        Some(c) => Some(localized_node(rd, c, "console")?),
        None => None,
    };
    Some(Remediation {
        text: Localized { en: en?, ko: ko? },
        cli,
        terraform,
        console,
    })
}

fn template(rd: &mut Reader<'_>, o: &Obj<'_>, key: &str) -> Option<Template> {
    let n = o.node.get(key)?;
    let s = rd.string(n, &format!("`{key}`"))?;
    match Template::parse(&s) {
        Ok(t) => Some(t),
        Err(e) => {
            rd.err(n, format!("`{key}`: {e}"));
            None
        }
    }
}

fn tests(rd: &mut Reader<'_>, o: &Obj<'_>, rtype: &str, id: &str) -> Vec<TestCase> {
    let Some(n) = rd.required(o, "tests") else {
        return Vec::new();
    };
    let Some(items) = n.as_seq() else {
        rd.err(
            n,
            format!(
                "`tests` must be a list of test cases, got {}",
                n.kind.describe()
            ),
        );
        return Vec::new();
    };
    let mut out: Vec<TestCase> = Vec::new();
    let mut names = BTreeSet::new();
    for item in items {
        if let Some(tc) = test_case(rd, item, rtype, id) {
            if !names.insert(tc.name.clone()) {
                rd.err(item, format!("duplicate test case name `{}`", tc.name));
            }
            out.push(tc);
        }
    }
    // Only when every case parsed, so one broken case does not add noise.
    if out.len() == items.len() {
        let mut missing = Vec::new();
        if !out.iter().any(|t| t.expect == Expect::Fail) {
            missing.push("`fail`");
        }
        if !out.iter().any(|t| t.expect == Expect::Pass) {
            missing.push("`pass`");
        }
        if !missing.is_empty() {
            rd.err(
                n,
                format!("tests need at least one {} case", missing.join(" and one ")),
            );
        }
    }
    out
}

fn test_case(rd: &mut Reader<'_>, n: &Node, rtype: &str, id: &str) -> Option<TestCase> {
    let o = rd.obj(
        n,
        "a test case",
        &["name", "expect", "resource", "now", "reason_contains"],
    )?;
    let name = rd.req_string(&o, "name");
    let expect = rd.required(&o, "expect").and_then(|e| {
        let s = rd.string(e, "`expect`")?;
        let v = match s.as_str() {
            "pass" => Expect::Pass,
            "fail" => Expect::Fail,
            "not_applicable" => Expect::NotApplicable,
            "error" => Expect::Error,
            _ => {
                rd.err(
                    e,
                    format!(
                        "unknown expectation `{s}` (expected pass, fail, not_applicable or error)"
                    ),
                );
                return None;
            }
        };
        Some(v)
    });
    let now = match n.get("now") {
        Some(t) => {
            let s = rd.string(t, "`now`")?;
            match DateTime::parse_from_rfc3339(&s) {
                Ok(d) => Some(d.with_timezone(&Utc)),
                Err(e) => {
                    rd.err(t, format!("`now` must be an RFC 3339 timestamp: {e}"));
                    return None;
                }
            }
        }
        None => None,
    };
    let reason_contains = rd.opt_string(&o, "reason_contains");
    let rnode = rd.required(&o, "resource");
    let resource =
        rnode.and_then(|r| test_resource(rd, r, rtype, id, name.as_deref().unwrap_or("case")));
    Some(TestCase {
        name: name?,
        expect: expect?,
        resource: resource?,
        now,
        reason_contains,
    })
}

fn test_resource(
    rd: &mut Reader<'_>,
    n: &Node,
    rtype: &str,
    id: &str,
    case: &str,
) -> Option<Resource> {
    let _shape = rd.obj(
        n,
        "a test resource",
        &[
            "uid", "name", "account", "region", "tags", "props", "errors",
        ],
    )?;
    let mut ok = true;
    if let Some(t) = n.get("tags") {
        match t.as_map() {
            Some(entries) => {
                for (_, v) in entries {
                    if !matches!(v.kind, Kind::Str(_)) {
                        rd.err(
                            v,
                            format!(
                                "tag values are strings: quote it (got {})",
                                v.kind.describe()
                            ),
                        );
                        ok = false;
                    }
                }
            }
            None => {
                rd.err(
                    t,
                    format!(
                        "`tags` must be a mapping of strings, got {}",
                        t.kind.describe()
                    ),
                );
                ok = false;
            }
        }
    }
    if let Some(p) = n.get("props")
        && p.as_map().is_none()
    {
        rd.err(
            p,
            format!("`props` must be a mapping, got {}", p.kind.describe()),
        );
        ok = false;
    }
    // Top-level props of a documented type must be documented names, so a
    // misspelt prop cannot make a case pass for the wrong reason.
    if let (Some(known), Some(entries)) = (
        super::known::known_names(rtype),
        n.get("props").and_then(Node::as_map),
    ) {
        for (k, _) in entries {
            let name = k.key_text();
            if !known.contains(&name) {
                rd.err(
                    k,
                    format!("test resource prop `{name}` is not documented for {rtype} in docs/resources.md"),
                );
                ok = false;
            }
        }
    }
    for key in ["uid", "name", "account", "region"] {
        if let Some(v) = n.get(key) {
            ok &= rd.string(v, &format!("`{key}`")).is_some();
        }
    }
    if !ok {
        return None;
    }
    let mut json = n.to_json();
    let m = json.as_object_mut()?;
    let slug = case
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    m.entry("uid")
        .or_insert_with(|| format!("test:{id}:{slug}").into());
    m.entry("account").or_insert_with(|| TEST_ACCOUNT.into());
    m.entry("region").or_insert_with(|| TEST_REGION.into());
    m.insert("type".into(), rtype.into());
    match serde_json::from_value::<Resource>(json) {
        Ok(r) => Some(r),
        Err(e) => {
            rd.err(n, format!("test resource has the wrong shape: {e}"));
            None
        }
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn is_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_resource_type(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// `T1530` or `T1078.004`.
pub fn is_mitre(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('T') else {
        return false;
    };
    let (main, sub) = match rest.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (rest, None),
    };
    let digits = |x: &str, n: usize| x.len() == n && x.bytes().all(|b| b.is_ascii_digit());
    digits(main, 4) && sub.is_none_or(|s| digits(s, 3))
}
