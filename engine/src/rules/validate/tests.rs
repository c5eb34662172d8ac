//! The validator on small rule files: every error found, in file order,
//! at its place.

use super::*;
use crate::cause::Cause;
use crate::facts::Obs;
use crate::rules::model::{Expect, Scope, Test};
use crate::rules::{RuleError, parse, render_errors};
use std::path::Path;

const F: &str = "test.toml";

/// A complete valid rule to vary.
const GOOD: &str = r#"
[[rule]]
id = "bind-dest-symlink.var-run"
cause = "bind-dest-symlink"
summary = "{dest} crosses the symlink {link.link}"
patterns = [
  '^Can.t create file at (?P<dest>/\S+): (?P<error>.+)$',
  '^Can.t mkdir (?P<dest>/\S+): (?P<error>.+)$',
]
explanation = """
bwrap {bwrap.path} on {os.pretty_name}: {link.link} points to {link.target} ({error}); literal {{braces}}.
"""
yields_to = ["other.rule"]

[[rule.confirm]]
fact = "path.first_symlink:{dest}"
exists = true
as = "link"
describe = "a symlink on the way"

[[rule.confirm]]
fact = "experiment.userns"
field = "step"
in = ["uid_map", "gid_map"]

[[rule.fix]]
title = "Bind {link.target} instead of {dest} on {distro}"
scope = "narrow"
commands = "bwrap --bind {link.target} {link.target} …"
[[rule.fix.when]]
fact = "os.id"
not_in = ["nixos"]
as = "distro"

[[rule.fix]]
title = "Change the layout"
scope = "host-wide"
tradeoff = "other programs may rely on {dest}"

[[rule.example]]
stderr = "bwrap: Can't create file at /var/run/x: No such file or directory\n"
argv = ["--bind", "/run/x", "/var/run/x", "true"]
expect = "confirmed"
[rule.example.facts]
"path.first_symlink:/var/run/x" = { link = "/var/run", target = "../run", absolute = "/run" }
"experiment.userns" = { ok = false, step = "uid_map", errno = 13, message = "x" }
"os.pretty_name" = { unavailable = "not recorded" }

[[rule.example]]
name = "not a symlink"
stderr = "bwrap: Can't mkdir /opt/x: Permission denied\n"
expect = "refuted"
[rule.example.facts]
"path.first_symlink:/opt/x" = { absent = true }
"#;

fn errors(text: &str) -> Vec<RuleError> {
    match parse(SourceKind::User, Path::new(F), text) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    }
}

fn messages(text: &str) -> Vec<String> {
    errors(text).into_iter().map(|e| e.message).collect()
}

fn lint_of(text: &str, project: bool) -> Checked {
    check(
        SourceKind::User,
        Path::new(F),
        text,
        Mode {
            project,
            lint: true,
        },
    )
}

/// `GOOD` with `from` replaced by `to` (which must occur).
fn good_with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    GOOD.replacen(from, to, 1)
}

#[test]
fn stage_causes_and_priors_are_checked() {
    let prior = "yields_to = [\"other.rule\"]\n[[rule.prior]]\nweight = 40\nmessage = 'mkdir'\nsource = \"corpus: 2 of 5\"\n[[rule.prior.when]]\nfact = \"os.id\"\nequals = \"ubuntu\"\n";
    let fr = parse(
        SourceKind::User,
        Path::new(F),
        &good_with("yields_to = [\"other.rule\"]\n", prior),
    )
    .unwrap();
    let p = &fr.rules[0].priors[0];
    assert_eq!(
        (p.weight, p.when.len(), p.source.as_str()),
        (40, 1, "corpus: 2 of 5")
    );
    assert!(
        p.message
            .as_ref()
            .is_some_and(|m| m.is_match("Can't mkdir /x"))
    );
    let stage = "yields_to = [\"other.rule\"]\nstage = \"bind-remount\"\ncauses = [\"bind-dest-symlink\", \"bad-arguments\"]\n";
    let fr = parse(
        SourceKind::User,
        Path::new(F),
        &good_with("yields_to = [\"other.rule\"]\n", stage),
    )
    .unwrap();
    assert_eq!(fr.rules[0].stage.as_deref(), Some("bind-remount"));
    assert_eq!(
        fr.rules[0].causes,
        [Cause::BindDestSymlink, Cause::BadArguments]
    );
    for (text, want) in [
        (
            "stage = \"bind-remounts\"\n",
            "unknown stage `bind-remounts`",
        ),
        (
            "causes = [\"bad-arguments\"]\n",
            "`causes` belongs to stage rules",
        ),
        (
            "[[rule.prior]]\nweight = 140\nsource = \"x\"\n",
            "`weight` 140 is not a percentage",
        ),
        ("[[rule.prior]]\nweight = 40\n", "has no `source`"),
    ] {
        let got = messages(&good_with(
            "yields_to = [\"other.rule\"]\n",
            &format!("yields_to = [\"other.rule\"]\n{text}"),
        ));
        assert!(got.iter().any(|m| m.contains(want)), "{text}: {got:?}");
    }
}

#[test]
fn a_valid_rule_becomes_the_model() {
    let fr = parse(SourceKind::User, Path::new(F), GOOD).unwrap_or_else(|e| {
        panic!("{}", render_errors(Path::new(F), GOOD, &e, false));
    });
    let r = &fr.rules[0];
    assert_eq!(r.id, "bind-dest-symlink.var-run");
    assert_eq!(r.cause, Cause::BindDestSymlink);
    assert_eq!(r.patterns.len(), 2);
    assert_eq!(r.origin.line, 2);
    assert_eq!(r.origin.to_string(), "test.toml:2");
    assert_eq!(r.yields_to, ["other.rule"]);
    assert_eq!(r.confirm.len(), 2);
    assert_eq!(r.confirm[0].alias.as_deref(), Some("link"));
    assert!(matches!(r.confirm[0].test, Test::Exists(true)));
    assert_eq!(r.confirm[1].field.as_deref(), Some("step"));
    assert!(matches!(&r.confirm[1].test, Test::In(v) if v.len() == 2));
    assert_eq!(r.fixes.len(), 2);
    assert_eq!(r.fixes[0].scope, Scope::Narrow);
    assert_eq!(r.fixes[0].when[0].alias.as_deref(), Some("distro"));
    assert_eq!(r.fixes[1].scope, Scope::HostWide);
    assert_eq!(r.examples[0].name, "example 1");
    assert_eq!(r.examples[1].name, "not a symlink");
    assert_eq!(r.examples[0].argv.as_ref().unwrap().len(), 4);
    let f = &r.examples[0].facts;
    assert_eq!(
        f["experiment.userns"].value().unwrap()["errno"],
        serde_json::json!(13)
    );
    assert_eq!(f["os.pretty_name"], Obs::unavailable("not recorded"));
    assert_eq!(
        r.examples[1].facts["path.first_symlink:/opt/x"],
        Obs::Absent
    );
    assert_eq!(r.examples[1].expect, Expect::Refuted);
}

#[test]
fn every_test_operator_reads_into_its_test() {
    type Check = fn(&Test) -> bool;
    let cases: &[(&str, Check)] = &[
        ("equals = 1", |t| matches!(t, Test::Equals(v) if v == 1)),
        (
            "not_equals = \"x\"",
            |t| matches!(t, Test::NotEquals(v) if v == "x"),
        ),
        ("in = [1, 2]", |t| matches!(t, Test::In(v) if v.len() == 2)),
        (
            "not_in = [\"a\"]",
            |t| matches!(t, Test::NotIn(v) if v.len() == 1),
        ),
        (
            "matches = '^5\\.'",
            |t| matches!(t, Test::Matches(r) if r.is_match("5.15")),
        ),
        ("exists = false", |t| matches!(t, Test::Exists(false))),
        (
            "contains = \"CAP_SYS_ADMIN\"",
            |t| matches!(t, Test::Contains(v) if v == "CAP_SYS_ADMIN"),
        ),
        ("empty = true", |t| matches!(t, Test::Empty(true))),
        ("greater_than = 0x10", |t| {
            matches!(t, Test::GreaterThan(16))
        }),
        ("less_than = -1", |t| matches!(t, Test::LessThan(-1))),
        (
            "not_contains_all = [\"a\", \"b\"]",
            |t| matches!(t, Test::NotContainsAll(v) if v.len() == 2),
        ),
    ];
    for (line, ok) in cases {
        let text = format!(
            "{}[[rule.confirm]]\nfact = \"kernel.release\"\n{line}\n",
            crate::rules::minimal_rule("t", "['x']")
        );
        let fr = parse(SourceKind::User, Path::new(F), &text)
            .unwrap_or_else(|e| panic!("{line}: {:?}", e));
        assert!(ok(&fr.rules[0].confirm[0].test), "{line}");
    }
}

#[test]
fn all_errors_of_a_file_are_collected_in_order() {
    let text = r#"
[[rule]]
id = "One"
cause = "nope"
summary = 3
patterns = ['(']
explanation = "{no.thing}"
colour = "red"

[[rule]]
id = "two"
cause = "other"
summary = "s"
patterns = []
explanation = "e"
[[rule.fix]]
title = "t"
scope = "host-wide"
"#;
    let errs = errors(text);
    let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.line, e.message.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "`One` is not a valid rule id"),
            (4, "unknown cause `nope`"),
            (
                5,
                "`summary` in [[rule]] must be a string, found an integer"
            ),
            (6, "invalid regex in pattern: unclosed group"),
            (7, "unknown placeholder `{no.thing}`"),
            (8, "unknown key `colour` in [[rule]]"),
            (14, "`patterns` is empty"),
            (18, "a host-wide fix needs a `tradeoff`"),
        ]
    );
}

#[test]
fn a_capture_in_a_fact_key_must_be_in_every_pattern() {
    let text = good_with(
        "'^Can.t mkdir (?P<dest>/\\S+)",
        "'^Can.t mkdir (?P<path>/\\S+)",
    );
    let errs = errors(&text);
    let e = errs
        .iter()
        .find(|e| e.message == "capture `dest` is not in every pattern")
        .unwrap_or_else(|| panic!("{errs:?}"));
    assert_eq!(&text[e.span.clone()], "{dest}");
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .starts_with("pattern 2 has no group")
    );
}

#[test]
fn a_fact_key_placeholder_must_be_a_capture() {
    let text = good_with(
        "path.first_symlink:{dest}",
        "path.first_symlink:{bwrap.path}",
    );
    assert!(
        messages(&text)
            .contains(&"`{bwrap.path}` in a fact key is not a capture of the patterns".to_string())
    );
}

#[test]
fn unknown_placeholders_point_at_themselves_with_a_suggestion() {
    let text = good_with("({error})", "({eror})");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(&text[errs[0].span.clone()], "{eror}");
    assert!(
        errs[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean {error}?")
    );
}

#[test]
fn alias_fields_are_checked_against_the_catalogue() {
    let text = good_with("{link.target} ({error})", "{link.targte} ({error})");
    let errs = errors(&text);
    assert_eq!(
        errs[0].message,
        "`link` (the value of path.first_symlink:{dest}) has no field `targte`"
    );
    assert!(
        errs[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `link.target`?")
    );
    let text = good_with("field = \"step\"", "field = \"stop\"");
    assert_eq!(messages(&text), ["`experiment.userns` has no field `stop`"]);
    let text = good_with(
        "fact = \"experiment.userns\"\nfield",
        "fact = \"kernel.release\"\nfield",
    );
    assert_eq!(
        messages(&text),
        ["`kernel.release` is not an object (its value: string), so it has no fields"]
    );
}

#[test]
fn fix_when_aliases_are_usable_in_their_fix_only() {
    let text = good_with("Change the layout", "Change the layout on {distro}");
    assert_eq!(messages(&text), ["unknown placeholder `{distro}`"]);
    let text = good_with("{link.target} ({error})", "{link.target} ({distro})");
    assert_eq!(messages(&text), ["unknown placeholder `{distro}`"]);
}

#[test]
fn aliases_may_not_clash() {
    let text = good_with("as = \"distro\"", "as = \"link\"");
    assert_eq!(
        messages(&text),
        [
            "unknown placeholder `{distro}`",
            "alias `link` is already defined in this rule"
        ]
    );
    let text = good_with("as = \"distro\"", "as = \"dest\"");
    assert!(messages(&text).contains(&"alias `dest` is already defined in this rule".into()));
    let text = good_with("as = \"distro\"", "as = \"chroot\"");
    assert!(messages(&text).contains(&"alias `chroot` has the name of a fact key".into()));
}

#[test]
fn facts_with_an_argument_or_a_field_need_an_alias_in_texts() {
    let text = good_with("Change the layout", "{sysctl.kernel.x}");
    assert_eq!(
        messages(&text),
        ["fact `sysctl.kernel.x` takes an argument, so it cannot be a placeholder"]
    );
    let text = good_with("Change the layout", "{apparmor.covering_profile.file}");
    let e = &errors(&text)[0];
    assert!(
        e.help.as_deref().unwrap().contains("write {x.file}"),
        "{e:?}"
    );
}

#[test]
fn regex_errors_point_inside_the_pattern_string() {
    let text = &crate::rules::minimal_rule("r", "['^ok$', \"^a\\\\d+(?P<x>[b-a])\"]");
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(
        errs[0].message,
        "invalid regex in pattern: invalid character class range, the start must be <= the end"
    );
    assert_eq!(&text[errs[0].span.clone()], "b-a");
}

#[test]
fn unknown_fact_keys_get_the_closest_key() {
    let text = good_with("fact = \"os.id\"", "fact = \"os.idd\"");
    let e = &errors(&text)[0];
    assert_eq!(e.message, "unknown fact `os.idd`");
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `os.id`?")
    );
    let text = good_with("path.first_symlink:{dest}", "path.first_symlnk:{dest}");
    let e = &errors(&text)[0];
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `path.first_symlink:{dest}`?"),
        "{e:?}"
    );
    let text = good_with("path.first_symlink:{dest}", "path.first_symlink:");
    let e = &errors(&text)[0];
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .starts_with("`path.first_symlink:` takes an argument"),
        "{e:?}"
    );
    let text = good_with("path.first_symlink:{dest}", "path.first_symlink:var/run");
    assert_eq!(
        messages(&text),
        ["`path.first_symlink:` takes an absolute path, not `var/run`"]
    );
}

#[test]
fn no_input_makes_the_checker_or_the_renderer_panic() {
    // Every 5th prefix of a valid file, and the same with multibyte
    // characters in places an error may point at.
    let wide = GOOD.replace("dest", "dé\u{1F600}t").replace('[', "[é");
    for text in [GOOD, wide.as_str()] {
        let mut cut = 0;
        while cut <= text.len() {
            if text.is_char_boundary(cut) {
                let part = &text[..cut];
                let c = lint_of(part, true);
                let _ = render_errors(Path::new(F), part, &c.errors, true);
                let _ =
                    crate::rules::render::render(Path::new(F), part, &c.errors, &c.warnings, false);
            }
            cut += 5;
        }
    }
}

#[test]
fn a_placeholder_cannot_stand_in_a_facts_name() {
    let text = good_with("fact = \"os.id\"", "fact = \"bwrap.file{dest}caps\"");
    assert_eq!(
        messages(&text),
        ["`bwrap.file{dest}caps`: a placeholder can only stand in a fact's argument"]
    );
}

#[test]
fn a_condition_makes_exactly_one_test() {
    let text = good_with("exists = true\n", "");
    let e = &errors(&text)[0];
    assert_eq!(e.message, "[[rule.confirm]] has no test");
    assert_eq!(&text[e.span.clone()], "[[rule.confirm]]");
    let text = good_with(
        "exists = true\n",
        "exists = true\nequals = 1\nmatches = 'x'\n",
    );
    assert_eq!(
        messages(&text),
        [
            "[[rule.confirm]] has several tests: `equals` and `exists`",
            "[[rule.confirm]] has several tests: `equals` and `matches`",
        ]
    );
}

#[test]
fn example_facts_are_catalogue_keys_with_well_formed_values() {
    let text = good_with("\"os.pretty_name\" = ", "\"os.prety_name\" = ");
    let e = &errors(&text)[0];
    assert_eq!(e.message, "unknown fact `os.prety_name` in example facts");
    assert_eq!(&text[e.span.clone()], "\"os.prety_name\"");
    let text = good_with("{ absent = true }", "{ absent = false }");
    assert_eq!(
        messages(&text),
        ["an absent fact is written exactly `{ absent = true }`"]
    );
    let text = good_with(
        "= { unavailable = \"not recorded\" }",
        "= { unavailable = 1 }",
    );
    assert_eq!(
        messages(&text),
        ["an unavailable fact is written exactly `{ unavailable = \"why\" }`"]
    );
}

#[test]
fn disable_is_not_for_built_in_files() {
    let text = "[[disable]]\nid = \"x\"\n";
    assert!(parse(SourceKind::System, Path::new(F), text).is_ok());
    let e = parse(SourceKind::Builtin, Path::new("rules/x.toml"), text).unwrap_err();
    assert_eq!(e[0].message, "[[disable]] in a built-in rule file");
    let fr = parse(
        SourceKind::Env,
        Path::new(F),
        "[[disable]]\nid = \"x\"\nreason = \"r\"\n",
    )
    .unwrap();
    assert_eq!(fr.disables[0].0, "x");
    assert_eq!(fr.disables[0].1.line, 1);
}

#[test]
fn a_duplicate_id_in_one_file_points_at_the_second() {
    let text = format!("{GOOD}\n{GOOD}");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(
        errs[0].message,
        "duplicate rule id `bind-dest-symlink.var-run`"
    );
    assert!(errs[0].span.start > GOOD.len());
}

#[test]
fn built_in_and_project_rules_need_a_positive_and_a_negative_example() {
    let text = good_with("expect = \"refuted\"", "expect = \"unconfirmed\"");
    assert!(parse(SourceKind::User, Path::new(F), &text).is_ok());
    let e = parse(SourceKind::Builtin, Path::new(F), &text).unwrap_err();
    assert_eq!(
        e[0].message,
        "rule `bind-dest-symlink.var-run` has no negative example (expect = \"refuted\" or \"no-match\")"
    );
    assert_eq!(&text[e[0].span.clone()], "\"bind-dest-symlink.var-run\"");
    let c = lint_of(&text, true);
    assert_eq!(c.errors.len(), 1);
    assert!(lint_of(GOOD, true).errors.is_empty());
}

#[test]
fn lint_warns_about_a_pattern_no_example_exercises() {
    let text = good_with(
        "stderr = \"bwrap: Can't mkdir /opt/x: Permission denied\\n\"",
        "stderr = \"bwrap: Can't create file at /opt/x: Permission denied\\n\"",
    );
    let c = lint_of(&text, false);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let w: Vec<_> = c.warnings.iter().map(|w| &text[w.span.clone()]).collect();
    assert_eq!(w, ["'^Can.t mkdir (?P<dest>/\\S+): (?P<error>.+)$'"]);
    assert!(
        lint_of(GOOD, false).warnings.is_empty(),
        "{:?}",
        lint_of(GOOD, false).warnings
    );
}

#[test]
fn lint_rejects_an_example_its_patterns_cannot_reach() {
    let text = good_with("Can't mkdir /opt/x", "Can't rmdir /opt/x");
    let c = lint_of(&text, false);
    assert_eq!(
        c.errors[0].message,
        "not a symlink expects refuted, but its stderr matches none of the rule's patterns"
    );
    let text = good_with("expect = \"refuted\"", "expect = \"no-match\"");
    let c = lint_of(&text, false);
    assert!(
        c.errors[0]
            .message
            .starts_with("not a symlink expects no-match, but pattern 2 matches")
    );
}

#[test]
fn lint_warns_when_fixes_are_not_narrowest_first() {
    let text = good_with("scope = \"narrow\"", "scope = \"local\"").replacen(
        "title = \"Change the layout\"\nscope = \"host-wide\"",
        "title = \"Change the layout\"\nscope = \"narrow\"",
        1,
    );
    let c = lint_of(&text, false);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(
        c.warnings
            .iter()
            .map(|w| w.message.as_str())
            .collect::<Vec<_>>(),
        ["fix \"Change the layout\" is narrower than the fix before it"]
    );
}

#[test]
fn a_toml_syntax_error_stops_the_file_with_its_place() {
    let text = "[[rule]]\nid = \"x\nx\"\n";
    let errs = errors(text);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.starts_with("invalid TOML: "), "{errs:?}");
    assert_eq!(errs[0].line, 2);
}

#[test]
fn refutes_is_a_boolean_of_a_confirm_condition_only() {
    let text = good_with(
        "describe = \"a symlink on the way\"\n",
        "describe = \"a symlink on the way\"\nrefutes = false\n",
    );
    assert_eq!(messages(&text), Vec::<String>::new());
    let text = good_with("as = \"distro\"\n", "as = \"distro\"\nrefutes = false\n");
    assert_eq!(
        messages(&text),
        ["`refutes` has no meaning in [[rule.fix.when]]"]
    );
    let text = good_with(
        "describe = \"a symlink on the way\"\n",
        "describe = \"a symlink on the way\"\nrefutes = \"no\"\n",
    );
    assert_eq!(errors(&text).len(), 1, "{:?}", messages(&text));
}

#[test]
fn refutes_false_is_an_error_in_a_stage_rule() {
    // A stage rule's conditions never rule a cause out, so `refutes =
    // false` there says nothing: an error at the key.
    let text = "[[rule]]\nid = \"my.step\"\ncause = \"other\"\nstage = \"args-parsing\"\ncauses = [\"bad-arguments\"]\nsummary = \"s\"\npatterns = ['^boom: ']\nexplanation = \"e\"\n[[rule.confirm]]\nfact = \"os.id\"\nequals = \"debian\"\nrefutes = false\n";
    let e = errors(text);
    assert_eq!(e.len(), 1, "{:?}", messages(text));
    assert_eq!(
        e[0].message,
        "`refutes = false` has no meaning in a stage rule"
    );
    assert_eq!(&text[e[0].span.clone()], "refutes");
}

#[test]
fn a_placeholder_in_a_conditions_describe_is_rejected_where_it_stands() {
    let text = good_with(
        "describe = \"a symlink on the way\"",
        "describe = \"a symlink on the way to {dest}\"",
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(&text[errs[0].span.clone()], "{dest}");
    assert_eq!(
        errs[0].message,
        "`describe` is shown as written: {dest} would not be filled in"
    );
}
