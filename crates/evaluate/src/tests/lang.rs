//! Every operator of the condition language, on small resources.

use chrono::{DateTime, Utc};
use rampart_inventory::Resource;
use serde_json::{Value, json};

use crate::lang::compile::Compiler;
use crate::lang::eval::{Ctx, eval};
use crate::lang::explain::explain;
use crate::load::node;

fn now() -> DateTime<Utc> {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn resource(props: Value) -> Resource {
    serde_json::from_value(json!({
        "uid": "arn:aws:s3:::b", "type": "aws.s3.bucket", "account": "111111111111",
        "region": "ap-northeast-2", "name": "payroll-prod",
        "tags": {"contains_pii": "True", "env": "prod"},
        "props": props
    }))
    .unwrap()
}

/// Compiles `cond` (YAML) and evaluates it on a resource with `props`.
pub fn holds(cond: &str, props: Value) -> bool {
    let n = node::parse(cond).unwrap();
    let mut diags = Vec::new();
    let c = Compiler {
        file: "t.yaml",
        diags: &mut diags,
        known: None,
        check_elements: false,
    }
    .cond(&n, false);
    assert!(diags.is_empty(), "{cond}: {diags:?}");
    let r = resource(props);
    let cx = Ctx {
        resource: &r,
        now: now(),
    };
    let fast = eval(&c, &cx, None);
    let mut w = Vec::new();
    assert_eq!(
        fast,
        explain(&c, &cx, None, &mut w),
        "explain disagrees on {cond}"
    );
    fast
}

/// The witnesses of a true condition.
pub fn witnesses(cond: &str, props: Value) -> Vec<String> {
    let n = node::parse(cond).unwrap();
    let mut diags = Vec::new();
    let c = Compiler {
        file: "t.yaml",
        diags: &mut diags,
        known: None,
        check_elements: false,
    }
    .cond(&n, false);
    let r = resource(props);
    let cx = Ctx {
        resource: &r,
        now: now(),
    };
    let mut w = Vec::new();
    assert!(explain(&c, &cx, None, &mut w), "{cond} is false");
    w
}

/// The diagnostics of compiling `cond`, as `line:col: message`.
pub fn errors(cond: &str) -> Vec<String> {
    let n = node::parse(cond).unwrap();
    let mut diags = Vec::new();
    Compiler {
        file: "t.yaml",
        diags: &mut diags,
        known: None,
        check_elements: false,
    }
    .cond(&n, false);
    diags
        .into_iter()
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect()
}

#[test]
fn compact_scalar_is_equality() {
    let p = json!({"encryption": {"enabled": false}, "n": 3});
    assert!(holds("props.encryption.enabled: false", p.clone()));
    assert!(!holds("props.encryption.enabled: true", p.clone()));
    assert!(holds("props.n: 3.0", p.clone()));
    assert!(holds("{props.n: 3, name: payroll-prod}", p.clone()));
    assert!(!holds("{props.n: 3, name: other}", p));
}

#[test]
fn comparisons() {
    let p = json!({"len": 8, "ts": "2025-06-01T00:00:00Z", "s": "b"});
    assert!(holds("props.len: {lt: 14}", p.clone()));
    assert!(holds("props.len: {lte: 8, gte: 8}", p.clone()));
    assert!(!holds("props.len: {gt: 8}", p.clone()));
    assert!(holds("props.ts: {lt: '2025-07-01'}", p.clone()));
    assert!(holds("props.s: {gt: a}", p.clone()));
    // A string never compares with a number.
    assert!(!holds("props.s: {gt: 1}", p.clone()));
    assert!(holds("props.len: {ne: 9}", p.clone()));
    assert!(holds("props.len: {in: [1, 8]}", p.clone()));
    assert!(holds("props.len: {not_in: [1, 2]}", p.clone()));
    assert!(!holds("props.len: {not_in: [8]}", p));
}

#[test]
fn missing_values() {
    let p = json!({"a": null, "b": 1});
    // Comparisons on missing values are false.
    for c in [
        "props.zz: 1",
        "props.zz: {gt: 1}",
        "props.zz: {in: [1]}",
        "props.zz: {contains: x}",
        "props.a: {eq: 1}",
        "props.zz: {exists: true, ne: 1}",
        "props.zz: {exists: true}",
        "props.zz: {any: {x: 1}}",
        "props.zz: {all: {x: 1}}",
    ] {
        assert!(!holds(c, p.clone()), "{c}");
    }
    // Tests of absence are true, and so are the negations ne and not_in.
    for c in [
        "props.zz: {ne: 1}",
        "props.a: {ne: 1}",
        "props.zz: {not_in: [1]}",
        "props.zz: {exists: false}",
        "props.zz: {absent: true}",
        "props.a: null",
        "props.a: {eq: null}",
        "props.zz: {empty: true}",
        "props.zz: {none: {x: 1}}",
        "props.zz: {not: {eq: 1}}",
        "not: {props.zz: 1}",
        "props.b: {ne: null}",
        "props.zz: {absent_or_older_than_days: 90}",
    ] {
        assert!(holds(c, p.clone()), "{c}");
    }
    assert!(
        witnesses("props.zz: {absent: true}", p.clone())
            .contains(&"props.zz is absent".to_string())
    );
    assert_eq!(
        witnesses("props.zz: {ne: 1}", p.clone()),
        vec!["props.zz is absent"]
    );
    assert_eq!(witnesses("props.b: {ne: 3}", p), vec!["props.b = 1"]);
}

#[test]
fn root_fields_and_tags() {
    let p = json!({});
    assert!(holds("uid: 'arn:aws:s3:::b'", p.clone()));
    assert!(holds("type: aws.s3.bucket", p.clone()));
    assert!(holds("account: '111111111111'", p.clone()));
    assert!(holds("region: {starts_with: ap-}", p.clone()));
    assert!(holds("name: {regex: '^payroll-'}", p.clone()));
    // Tag values are strings; scalars are compared as strings.
    assert!(holds("tags.env: prod", p.clone()));
    assert!(!holds("tags.contains_pii: true", p.clone()));
    assert!(holds("tags.contains_pii: {eq_ci: 'true'}", p.clone()));
    assert!(holds("tags: {contains: env}", p.clone()));
    assert!(holds("tags: {length: 2}", p.clone()));
    assert!(holds("tags.owner: {absent: true}", p));
}

#[test]
fn case_insensitive_and_string_ops() {
    let p = json!({"s": "Hello World", "l": ["Admins", "dev"]});
    assert!(holds("props.s: {eq_ci: hello world}", p.clone()));
    assert!(holds("props.s: {in_ci: [x, HELLO WORLD]}", p.clone()));
    assert!(holds("props.s: {contains: World}", p.clone()));
    assert!(!holds("props.s: {contains: world}", p.clone()));
    assert!(holds("props.s: {contains_ci: WORLD}", p.clone()));
    assert!(holds("props.s: {starts_with: Hello}", p.clone()));
    assert!(holds("props.s: {starts_with_ci: hello}", p.clone()));
    assert!(holds("props.s: {ends_with: World}", p.clone()));
    assert!(holds("props.s: {ends_with_ci: WORLD}", p.clone()));
    assert!(!holds("props.s: {ends_with: world}", p.clone()));
    assert!(holds("props.s: {regex: 'W.r'}", p.clone()));
    assert!(holds("props.s: {regex: '(?i)^hello'}", p.clone()));
    assert!(holds("props.l: {contains: dev}", p.clone()));
    assert!(!holds("props.l: {contains: admins}", p.clone()));
    assert!(holds("props.l: {contains_ci: admins}", p));
}

#[test]
fn length_and_empty() {
    let p = json!({"l": [1, 2, 3], "e": [], "s": "abc", "o": {}});
    assert!(holds("props.l: {length: 3}", p.clone()));
    assert!(holds("props.l: {length: {gt: 2}}", p.clone()));
    assert!(holds("props.s: {length: {lt: 4}}", p.clone()));
    assert!(holds("props.e: {empty: true}", p.clone()));
    assert!(holds("props.o: {empty: true}", p.clone()));
    assert!(holds("props.l: {empty: false}", p.clone()));
    assert!(!holds("props.l: {empty: true}", p));
}

#[test]
fn wildcards_mean_some_element() {
    let p = json!({"ingress": [{"cidr_ipv4": "10.0.0.0/8"}, {"cidr_ipv4": "0.0.0.0/0"}]});
    assert!(holds("props.ingress[*].cidr_ipv4: 0.0.0.0/0", p.clone()));
    assert!(holds("props.ingress[0].cidr_ipv4: 10.0.0.0/8", p.clone()));
    // Negations with [*] mean "no element".
    assert!(!holds(
        "props.ingress[*].cidr_ipv4: {ne: 0.0.0.0/0}",
        p.clone()
    ));
    assert!(holds(
        "props.ingress[*].cidr_ipv4: {ne: 1.2.3.4/32}",
        p.clone()
    ));
    assert!(!holds("props.ingress[*].cidr_ipv4: 1.2.3.4/32", p.clone()));
    assert_eq!(
        witnesses("props.ingress[*].cidr_ipv4: 0.0.0.0/0", p),
        vec!["props.ingress[1].cidr_ipv4 = 0.0.0.0/0"]
    );
}

#[test]
fn quantifiers() {
    let p = json!({"keys": [
        {"status": "Active", "age": 10},
        {"status": "Inactive", "age": 200},
        {"status": "Active", "age": 100}
    ], "none": [], "groups": ["a", "b"]});
    assert!(holds(
        "props.keys: {any: {status: Active, age: {gt: 90}}}",
        p.clone()
    ));
    assert!(!holds(
        "props.keys: {any: {status: Inactive, age: {lt: 90}}}",
        p.clone()
    ));
    assert!(holds("props.keys: {all: {age: {gt: 5}}}", p.clone()));
    assert!(!holds("props.keys: {all: {status: Active}}", p.clone()));
    assert!(holds("props.keys: {none: {status: Deleted}}", p.clone()));
    // Vacuous truth on empty lists.
    assert!(holds("props.none: {all: {status: Active}}", p.clone()));
    assert!(!holds("props.none: {any: {status: Active}}", p.clone()));
    // Operators on the element itself, and `@`.
    assert!(holds("props.groups: {any: {eq: b}}", p.clone()));
    assert!(holds(
        "props.groups: {any: {'@': {starts_with: a}}}",
        p.clone()
    ));
    // Count with a filter.
    assert!(holds(
        "props.keys: {count: {where: {status: Active}, gt: 1}}",
        p.clone()
    ));
    assert!(!holds(
        "props.keys: {count: {where: {status: Active}, gt: 2}}",
        p.clone()
    ));
    assert!(holds("props.keys: {count: {gte: 3}}", p.clone()));
    // Absolute paths inside an element.
    assert!(holds(
        "props.keys: {any: {'$.name': payroll-prod, status: Active}}",
        p.clone()
    ));
    assert_eq!(
        witnesses(
            "props.keys: {any: {status: Active, age: {gt: 90}}}",
            p.clone()
        ),
        vec!["props.keys[2].status = Active", "props.keys[2].age = 100"]
    );
    assert_eq!(
        witnesses("props.keys: {count: {where: {status: Active}, gt: 1}}", p),
        vec!["props.keys: 2 matching"]
    );
}

#[test]
fn boolean_combinators() {
    let p = json!({"a": 1, "b": 2});
    assert!(holds("all: [{props.a: 1}, {props.b: 2}]", p.clone()));
    assert!(!holds("all: [{props.a: 1}, {props.b: 3}]", p.clone()));
    assert!(holds("any: [{props.a: 9}, {props.b: 2}]", p.clone()));
    assert!(!holds("any: [{props.a: 9}, {props.b: 9}]", p.clone()));
    assert!(holds("none: [{props.a: 9}, {props.b: 9}]", p.clone()));
    assert!(holds("not: {props.a: 2}", p.clone()));
    assert!(holds("props.a: {not: {in: [2, 3]}}", p.clone()));
    assert!(holds("{path: props.a, gte: 1, lt: 2}", p.clone()));
    assert_eq!(
        witnesses("any: [{props.a: 9}, {props.b: 2}]", p),
        vec!["props.b = 2"]
    );
}

#[test]
fn ages_in_days() {
    // now is 2026-01-01.
    let p = json!({"old": "2025-09-01T00:00:00Z", "new": "2025-12-25T00:00:00Z", "bad": "soon"});
    assert!(holds("props.old: {older_than_days: 90}", p.clone()));
    assert!(!holds("props.new: {older_than_days: 90}", p.clone()));
    assert!(holds("props.new: {age_days: {lt: 8, gt: 6}}", p.clone()));
    assert!(holds(
        "props.old: {absent_or_older_than_days: 90}",
        p.clone()
    ));
    assert!(!holds(
        "props.new: {absent_or_older_than_days: 90}",
        p.clone()
    ));
    assert!(!holds("props.bad: {older_than_days: 1}", p.clone()));
    assert_eq!(
        witnesses("props.old: {older_than_days: 90}", p),
        vec!["props.old = 2025-09-01T00:00:00Z (122 days ago)"]
    );
}

#[test]
fn cidr_operators() {
    let p = json!({"v4": "0.0.0.0/0", "v6": "::/0", "priv": "10.1.0.0/16", "pub": "203.0.113.0/24", "host": "10.1.2.3"});
    assert!(holds("props.v4: {cidr_is_internet: true}", p.clone()));
    assert!(holds("props.v6: {cidr_is_internet: true}", p.clone()));
    assert!(holds("props.priv: {cidr_is_internet: false}", p.clone()));
    assert!(holds("props.priv: {cidr_is_private: true}", p.clone()));
    assert!(holds("props.pub: {cidr_is_private: false}", p.clone()));
    assert!(holds("props.priv: {cidr_contains: 10.1.2.3}", p.clone()));
    assert!(holds(
        "props.priv: {cidr_contains: [192.168.0.1, 10.1.200.0/24]}",
        p.clone()
    ));
    assert!(!holds(
        "props.priv: {cidr_contains: 10.2.0.0/16}",
        p.clone()
    ));
    assert!(holds("props.host: {cidr_within: 10.0.0.0/8}", p.clone()));
    assert!(holds("props.priv: {cidr_overlaps: 10.0.0.0/8}", p.clone()));
    assert!(!holds("props.pub: {cidr_overlaps: 10.0.0.0/8}", p.clone()));
    assert!(!holds("props.zz: {cidr_is_internet: false}", p));
}

#[test]
fn port_ranges() {
    let p = json!({"ingress": [
        {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_ipv4": "0.0.0.0/0"},
        {"protocol": "tcp", "from_port": 20, "to_port": 25, "cidr_ipv4": "0.0.0.0/0"},
        {"protocol": "all", "from_port": 0, "to_port": 65535, "cidr_ipv4": "10.0.0.0/8"}
    ]});
    let ssh = "props.ingress: {any: {port_includes: 22, cidr_ipv4: {cidr_is_internet: true}}}";
    assert!(holds(ssh, p.clone()));
    assert_eq!(
        witnesses(ssh, p.clone()),
        vec![
            "props.ingress[1] opens tcp ports 20-25",
            "props.ingress[1].cidr_ipv4 = 0.0.0.0/0"
        ]
    );
    assert!(!holds(
        "props.ingress: {any: {port_includes: [3389, 3306], cidr_ipv4: {cidr_is_internet: true}}}",
        p.clone()
    ));
    assert!(holds(
        "props.ingress: {any: {port_includes: 3389}}",
        p.clone()
    ));
    assert!(holds("props.ingress[*]: {port_includes: 80}", p));
}
