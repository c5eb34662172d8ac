//! The real-world corpus (tests/corpus/): each public case replayed with
//! `explain --snapshot`, accuracy reported per cause: how often the cause
//! named first is the thread's, how often it is confirmed. No confirmed
//! cause may be wrong beyond the lists of known ones, each with its reason;
//! the two accuracies have floors (see the end).
//!
//! Each case is replayed twice: on a host made of the facts its thread
//! states (the figures with floors), and on a complete fixture host of its
//! kind (tests/fixtures/kinds, overridden by the thread's facts): what the
//! live shim, which probes everything, would see. See [`kind_of`].

use crate::cli_doctor as doctor;
use crate::support::{self, As};
use crate::{Body, Test};
use std::collections::BTreeMap;
use std::path::Path;

pub fn tests() -> Vec<Test> {
    tests![
        Once corpus_accuracy_per_cause,
        Once corpus_with_few_facts_named_first,
        Once scenarios_from_first_principles_name_their_cause_first,
        Once a_path_with_a_dash_or_a_quote_after_a_space_is_not_confirmed_as_an_unsplit_command,
        Once an_errno_the_steps_table_lacks_is_not_read_as_a_cut_line,
        Once an_errno_wrapped_onto_the_next_line_is_not_read_as_a_cut_line,
        Once a_capset_refusal_is_not_named_apparmors_restriction_on_host_fixtures,
        Once a_bind_source_on_nfs_under_selinux_is_not_confirmed_as_two_causes,
        Once a_source_type_refusal_under_rhel_8s_glibc_is_not_confirmed_as_selinux,
        Once held_out_test_set_accuracy_per_cause,
        Once held_out_test_set_b_accuracy_per_cause,
        Once held_out_test_set_c_accuracy_per_cause,
        Once held_out_test_set_d_accuracy_per_cause,
        Once held_out_test_set_e_accuracy_per_cause,
        Once held_out_test_set_f_accuracy_per_cause,
        Once held_out_test_set_g_accuracy_per_cause,
        Once held_out_test_set_h_accuracy_per_cause,
        Once held_out_test_set_i_accuracy_per_cause,
        Once corpus_kind_fixtures_are_complete_and_consistent,
        Once explain_texts_of_the_development_sets_carry_no_placeholder_or_fact_state,
    ]
}

#[derive(Debug)]
struct Case {
    file: String,
    cause: String,
    also: Vec<String>,
    stderr: String,
    argv: Vec<String>,
    facts: toml::Table,
    /// The optional `kind` field: the fixture host kind the thread names
    /// where its facts do not (tests/corpus/README.md).
    kind: Option<String>,
}

/// The cases of one set: `tests/corpus` (the development set),
/// `tests/corpus/test` (the held-out test set), `tests/corpus/test-b`
/// (held-out test set B), `tests/corpus/test-c` (test set C) or
/// `tests/corpus/test-d` (test set D), `tests/corpus/test-e` (held-out
/// test set E) or `tests/corpus/test-f` (held-out test set F).
/// Only the set's own top-level files are read.
fn load(set: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(set);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let t: toml::Table =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let strs = |k: &str| -> Vec<String> {
                t.get(k)
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            for key in [
                "id",
                "source",
                "title",
                "caller",
                "stderr",
                "cause",
                "confidence",
                "evidence",
            ] {
                assert!(t.contains_key(key), "{}: no {key}", p.display());
            }
            Case {
                file: p.file_name().unwrap().to_string_lossy().into_owned(),
                cause: t["cause"].as_str().unwrap().to_string(),
                also: strs("also"),
                stderr: t["stderr"].as_str().unwrap().to_string(),
                argv: strs("argv"),
                facts: t
                    .get("facts")
                    .and_then(|f| f.as_table())
                    .cloned()
                    .unwrap_or_default(),
                kind: t.get("kind").map(|k| {
                    k.as_str()
                        .unwrap_or_else(|| panic!("{}: kind is not a string", p.display()))
                        .to_string()
                }),
            }
        })
        .collect()
}

/// The case's facts as a snapshot file.
fn snapshot(case: &Case, dir: &Path) -> std::path::PathBuf {
    let facts: serde_json::Value = serde_json::to_value(&case.facts).unwrap();
    for key in facts.as_object().unwrap().keys() {
        assert!(
            bwrap_doctor_engine::probe::lookup(key).is_some(),
            "{}: {key} is not a fact key (rules/README.md lists them)",
            case.file
        );
    }
    let snap = serde_json::json!({
        "schema": "bwrap-doctor/snapshot",
        "schema_version": 1,
        "note": format!("tests/corpus/{}", case.file),
        "facts": facts,
    });
    let path = dir.join(case.file.replace(".toml", ".json"));
    std::fs::write(&path, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
    path
}

/// How one case came out.
#[derive(Default, Clone, Copy)]
struct Tally {
    cases: usize,
    /// The first confirmed cause is the thread's (for `other`: nothing but
    /// `other` confirmed).
    confirmed: usize,
    /// The cause named first (confirmed, else the best-supported possible
    /// cause) is the thread's (for `other`: nothing but `other` confirmed).
    first: usize,
    /// A confirmed cause is neither the thread's nor in `also`.
    wrong: usize,
}

/// The development set: the cases the rules were written from (recall).
fn corpus_accuracy_per_cause() {
    // Floors under the figures measured last: 158/160 named first (98.8%),
    // 79 confirmed (49.4%), since branch `devmiss` (122, retyped words in
    // another form, named first; 157/160 before), with branches `userns`, `snap`, `dest` and
    // `nested` merged (156/160 before `nested`). After the
    // snap decision (branch `snap`: 084 and 132 relabelled
    // apparmor-profile-denial and named so, 144 named so by the bind
    // prior) and the binds' kinds (branch `dest`: 0.4's EINVAL at a bind
    // through a symlink, 0.12's `Destination is not a directory`, a bind of
    // a file replaced under an outer sandbox); 150/160 before. 150/160
    // (93.8%) and 79 after the kinds of set B and of the 25 cases of
    // 2026-12-05 (136-160), which stood at 146/160 (91.2%) and 73 (45.6%)
    // before any rule changed for them (tests/corpus/README.md). They were
    // 94/44 under 127/135 (94.1%) and 60 (44.4%); 95/50 under 98.9%/51.6% of
    // 91 cases before the 44 cases of 2026-12-04 (092-135).
    // Branch `nested` (containers and nested sandboxes) alone: 151/160
    // (94.4%), dev 098 relabelled by the mechanism (a privileged bwrap's
    // EPERM at namespace creation in Docker: the missing CAP_SYS_ADMIN).
    // Confirmed floor lowered 49 → 48 on branch `qemu` (79 → 78 of 160):
    // 099 (qemu-user in Podman) was `other`, which counts as confirmed right
    // whenever nothing is confirmed; relabelled kernel-feature-missing by the
    // taxonomy (engine/rules/README.md, "qemu-user emulation"), it is named
    // first on its thread's facts but not confirmed: the thread shows nothing
    // of the bwrap file (`bwrap.format`), which confirms it on its fixture
    // host (qemu-user: 118 → 119 confirmed of 151).
    assert_set("tests/corpus", 40, DEVELOPMENT_KNOWN_WRONG, (98, 48));
}

/// Replay `set` on its threads' facts and on complete fixture hosts, report
/// both, then require at least `min_cases` cases, no wrong confirmation on
/// the threads' facts beyond `known` nor on fixture hosts beyond
/// [`FIXTURE_KNOWN_WRONG`], and the floors (named first, confirmed; per
/// cent) on the threads' facts.
fn assert_set(set: &str, min_cases: usize, known: KnownWrong, floors: (usize, usize)) {
    let m = measure(set);
    let f = measure_on_fixtures(set);
    report_beside(&m, &f);
    assert!(m.total >= min_cases, "{set} has {} cases", m.total);
    m.assert_only_known_wrong(known);
    m.assert_floors(floors.0, floors.1);
    f.assert_only_known_fixture_wrong();
}

/// Wrong confirmations on the development set's thread facts, with the
/// reason (case file, why). The two of the 25 cases of 2026-12-05 (137, a
/// systemd unit's ProcSubset=pid read as a container's; 148, overlayfs
/// refusing its layers read as a missing kernel feature) were mended for
/// their kinds on branch `rulesb` (engine/rules/README.md). Aim: none.
const DEVELOPMENT_KNOWN_WRONG: &[(&str, &str)] = &[];

/// A proxy for unseen pasted text, on every development set (the corpus
/// and the retired sets A, B, C and D): each case replayed with only what a
/// thread usually states besides the pasted line, its distribution
/// (`os.*`) and its container (`container.kind`), without the call's
/// arguments; then with the distribution alone; then with no fact at all,
/// where the priors alone order the candidates (scripts/prior-audit.py
/// tabulates those orders against the cases' causes). These are
/// development measures (the rules were written from these cases), not
/// test-set figures. No wrong confirmation is allowed (a fact that is not
/// there confirms nothing) beyond each set's list of known ones, and no
/// figure may fall below its set's floor in [`FEW_FACTS_FLOORS`].
fn corpus_with_few_facts_named_first() {
    let mut low = Vec::new();
    for &(set, known, floors) in FEW_FACTS_FLOORS {
        let few = replay(set, On::Few(&["os.", "container.kind"]));
        let os = replay(set, On::Few(&["os."]));
        let none = replay(set, On::Few(&[]));
        for (m, floor) in [(&few, floors.0), (&os, floors.1), (&none, floors.2)] {
            m.assert_only_known_wrong(known);
            if m.first * 100 < m.total * floor {
                low.push(format!(
                    "{set}: {}/{} named first, below {floor}%:\n{}",
                    m.first,
                    m.total,
                    m.missed.join("\n")
                ));
            }
        }
        eprintln!(
            "    [figure] {set} named first with os.* + container.kind / os.* / no fact: {}/{} / {}/{} / {}/{}",
            few.first, few.total, os.first, os.total, none.first, none.total
        );
    }
    assert!(low.is_empty(), "{}", low.join("\n"));
}

/// tests/fixtures/scenarios.toml: pasted failures worked out from bwrap's
/// source and the kernel's documented behaviour (not from corpus cases),
/// each with the little a person states with it; the cause named first
/// must be the one the code path gives, and no other may be confirmed.
fn scenarios_from_first_principles_name_their_cause_first() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios.toml");
    let t: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let scenarios = t["scenario"].as_array().unwrap();
    assert!(scenarios.len() >= 40, "{} scenarios", scenarios.len());
    let dir = support::install().scratch();
    let mut bad = Vec::new();
    for (i, sc) in scenarios.iter().enumerate() {
        let case = Case {
            file: format!("scenario-{i}.toml"),
            cause: sc["cause"].as_str().unwrap().to_string(),
            also: Vec::new(),
            stderr: format!("{}\n", sc["stderr"].as_str().unwrap()),
            argv: Vec::new(),
            facts: sc
                .get("facts")
                .and_then(|f| f.as_table())
                .cloned()
                .unwrap_or_default(),
            kind: None,
        };
        let snap = snapshot(&case, &dir);
        let snap = snap.display().to_string();
        let mut c = doctor(As::User, &["explain", "--json", "--snapshot", &snap]);
        let out = support::run_with_input(
            &mut c,
            Some(case.stderr.as_bytes()),
            std::time::Duration::from_secs(60),
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("scenario {i}: {e}: {}", out.stderr_text()));
        let shown = named(&v);
        if shown.first().map(|(_, c)| *c) != Some(case.cause.as_str())
            || shown
                .iter()
                .any(|(v, c)| *v == "confirmed" && *c != case.cause.as_str())
        {
            bad.push(format!(
                "scenario {i} ({}): {:?} with {:?}: expected {} first, named {shown:?}",
                sc["why"].as_str().unwrap_or(""),
                case.stderr.trim_end(),
                case.facts,
                case.cause
            ));
        }
    }
    eprintln!(
        "    tests/fixtures/scenarios.toml: {} of {} name their cause first",
        scenarios.len() - bad.len(),
        scenarios.len()
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// `explain --json` of pasted text against a host of which nothing is known
/// (an empty snapshot): the words alone.
fn explain_words_alone(stderr: &str, name: &str) -> serde_json::Value {
    let dir = support::install().scratch();
    let case = Case {
        file: format!("{name}.toml"),
        cause: String::new(),
        also: Vec::new(),
        stderr: stderr.to_string(),
        argv: Vec::new(),
        facts: toml::Table::new(),
        kind: None,
    };
    explain_json(&snapshot(&case, &dir), stderr, name)
}

/// `explain --json --snapshot SNAPSHOT` of `stderr` (`what` names the
/// attempt in a failure).
fn explain_json(snapshot: &Path, stderr: &str, what: &str) -> serde_json::Value {
    let snap = snapshot.display().to_string();
    let mut c = doctor(As::User, &["explain", "--json", "--snapshot", &snap]);
    let out = support::run_with_input(
        &mut c,
        Some(stderr.as_bytes()),
        std::time::Duration::from_secs(60),
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: {e}: {}", out.stderr_text()))
}

/// The complete fixture host of `kind` (tests/fixtures/kinds) with `facts`
/// laid over it, written to the scratch directory as `name`.json.
fn kind_with(kind: &str, facts: &[(&str, serde_json::Value)], name: &str) -> std::path::PathBuf {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/kinds/{kind}.json"));
    let mut snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    for (key, value) in facts {
        snap["facts"][*key] = value.clone();
    }
    let path = support::install().scratch().join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
    path
}

/// The ids of the rules an `explain --json` document holds as candidates
/// (refuted or not), in its order.
fn candidate_rules(v: &serde_json::Value) -> Vec<String> {
    v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Review of branch rulesc: `bad-arguments.unsplit-command` is confirmed
/// from the words alone, so a legitimate program path whose directory name
/// holds a space followed by a dash or a quote (`Backup - 2024`, `My "Best"
/// App`) must not be confirmed as a command line passed as one argument.
fn a_path_with_a_dash_or_a_quote_after_a_space_is_not_confirmed_as_an_unsplit_command() {
    let mut bad = Vec::new();
    for line in [
        "bwrap: execvp /media/u/Backup - 2024/app.AppImage: No such file or directory\n",
        "bwrap: execvp /home/u/Games/Foo -Bar/run: No such file or directory\n",
        "bwrap: execvp /home/u/My \"Best\" App/run: No such file or directory\n",
    ] {
        let v = explain_words_alone(line, "unsplit-path");
        if v["confirmed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.to_string().contains("unsplit-command"))
        {
            bad.push(format!("{line:?}: confirmed {}", v["confirmed"]));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Review of branch rulesc: `stage.STEP.errno-missing` says the line was
/// cut before its errno. A line that ends with an errno its generator's
/// table of strerror texts lacks (ENOTCONN on a dead FUSE mount, EDQUOT,
/// musl's wording of ELOOP) was not cut.
fn an_errno_the_steps_table_lacks_is_not_read_as_a_cut_line() {
    let mut bad = Vec::new();
    for line in [
        "bwrap: Can't find source path /home/u/remote: Transport endpoint is not connected\n",
        "bwrap: Can't mkdir /newroot/home/u/x: Disk quota exceeded\n",
        "bwrap: Can't mkdir /newroot/x: Symbolic link loop\n",
    ] {
        let v = explain_words_alone(line, "errno-outside-table");
        let rules = candidate_rules(&v);
        if rules.iter().any(|r| r.ends_with(".errno-missing")) {
            bad.push(format!("{line:?}: {rules:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Review of branch rulesc: a message a terminal wrapped after the colon,
/// its errno on the next line, is joined back (`unwrapped_messages`). On a
/// Debian 12 host (tests/fixtures/kinds/debian-12.json) whose source is on
/// ext4, every specific rule is refuted and, before rulesc, the step's
/// EACCES rule (`stage.bind-remount.eacces`) was the answer. The joined
/// reading without a space (`…/newroot/b:Permission denied`) must not make
/// the errno-missing rule ("the line was cut before its errno") the answer.
fn an_errno_wrapped_onto_the_next_line_is_not_read_as_a_cut_line() {
    let line = "bwrap: Can't bind mount /oldroot/a on /newroot/b:\n  Permission denied\n";
    let ext4 = serde_json::json!({ "point": "/", "fstype": "ext4", "read_only": false });
    let snap = kind_with("debian-12", &[("path.mount:/a", ext4)], "errno-wrapped");
    let v = explain_json(&snap, line, "errno-wrapped");
    let rules = candidate_rules(&v);
    assert!(
        rules
            .first()
            .is_some_and(|r| !r.ends_with(".errno-missing")),
        "{line:?}: {rules:?}"
    );
}

/// Review of branch rulesc: AppArmor mediates no capset(2) (rulesc took
/// `capset failed` out of the restriction's own rules), yet the generated
/// step rule `stage.caps-setuid.eperm` still names apparmor-userns-restrict
/// first for it on complete host fixtures, Debian 12 (no restriction there)
/// among them.
fn a_capset_refusal_is_not_named_apparmors_restriction_on_host_fixtures() {
    let line = "bwrap: capset failed: Operation not permitted\n";
    let mut bad = Vec::new();
    for kind in ["ubuntu-24.04-desktop", "debian-12"] {
        let v = explain_json(&kind_with(kind, &[], &format!("capset-{kind}")), line, kind);
        let shown = named(&v);
        if shown.first().map(|(_, c)| *c) == Some("apparmor-userns-restrict") {
            bad.push(format!("{kind}: {shown:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Review of branch rulesc: `selinux-denial.source-type` excludes FUSE
/// sources only, so on a Fedora host (SELinux enforcing) with the source on
/// NFS it is confirmed beside `mount-permission-denied.network-fs`: two
/// causes confirmed for one message, at most one of them right.
fn a_bind_source_on_nfs_under_selinux_is_not_confirmed_as_two_causes() {
    let line = "bwrap: Can't get type of source /srv/data: Permission denied\n";
    let nfs = serde_json::json!({ "point": "/srv", "fstype": "nfs4", "read_only": false });
    let facts = [
        ("path.mount:/srv/data", nfs),
        ("caller.euid", serde_json::json!(1000)),
    ];
    let v = explain_json(&kind_with("fedora", &facts, "source-on-nfs"), line, "nfs");
    let causes: std::collections::BTreeSet<&str> = named(&v)
        .into_iter()
        .filter(|(verdict, _)| *verdict == "confirmed")
        .map(|(_, c)| c)
        .collect();
    assert!(causes.len() <= 1, "{line:?}: confirmed {causes:?}");
}

/// Review of branch rulesc: `selinux-denial.source-type` rests on glibc's
/// realpath(3) walking the source with readlink, which meets no getattr
/// check (glibc 2.33 and later); RHEL 8's glibc 2.28 lstat()s each
/// component, so a getattr denial would stop bwrap at `Can't find source
/// path`, and this wording there is something else. On the Fedora kind
/// (glibc 2.33+) the same source on a local disk is still confirmed: the
/// condition separates the two, it does not switch the rule off.
fn a_source_type_refusal_under_rhel_8s_glibc_is_not_confirmed_as_selinux() {
    let line = "bwrap: Can't get type of source /srv/data: Permission denied\n";
    let mut verdicts = BTreeMap::new();
    for kind in ["rhel-8", "fedora"] {
        let xfs = serde_json::json!({ "point": "/", "fstype": "xfs", "read_only": false });
        let facts = [
            ("path.mount:/srv/data", xfs),
            ("caller.euid", serde_json::json!(1000)),
        ];
        let snap = kind_with(kind, &facts, &format!("source-type-{kind}"));
        let v = explain_json(&snap, line, kind);
        let selinux: Vec<String> = named(&v)
            .into_iter()
            .filter(|(_, c)| *c == "selinux-denial")
            .map(|(verdict, _)| verdict.to_string())
            .collect();
        verdicts.insert(kind, selinux);
    }
    assert!(
        !verdicts["rhel-8"].iter().any(|v| v == "confirmed"),
        "{verdicts:?}"
    );
    assert!(
        verdicts["fedora"].iter().any(|v| v == "confirmed"),
        "{verdicts:?}"
    );
}

/// A set's wrong confirmations known at its baseline: (case file, why).
type KnownWrong = &'static [(&'static str, &'static str)];

/// Each development set with its known wrong confirmations and its floors
/// (named first, per cent) with the distribution and container / with the
/// distribution alone / with no fact. Measured last (2026-12-05, after the
/// prior audit of engine/rules/README.md, "Where the numbers come from"):
/// development 148/160 (92.5%), 141/160 (88.1%), 135/160 (84.4%); set A
/// 60/67 (89.6%), 58/67 (86.6%), 55/67 (82.1%); set B 56/62 (90.3%), 54/62
/// (87.1%), 54/62 (87.1%); set C 50/60 (83.3%), 50/60 (83.3%), 49/60
/// (81.7%); since then set C stands at 56/60, 56/60, 55/60. Set D, retired
/// into development at 05:10 UTC and measured so after its kinds were fixed
/// (branch `rulesd`): 39/43 (90.7%), 39/43 (90.7%), 40/43 (93.0%). After
/// the binds' kinds (branch `dest`) development stands at 151/160 (94.4%),
/// 144/160 (90.0%), 138/160 (86.3%); the other sets are unchanged.
/// branch `nested` (containers and nested sandboxes: relabels by the
/// mechanism, engine/rules/README.md): development 149/160 (93.1%), 142/160
/// (88.8%), 136/160 (85.0%); set B 59/62 (95.2%), 57/62 (91.9%), 57/62;
/// set C 57/60 (95.0%), 57/60, 56/60 (93.3%); sets A and D unchanged.
/// Before the audit: development 148, 139, 133; set A 60, 58, 55;
/// set B 56, 53, 53; set C 49, 48, 47. The development set's few-facts
/// figures were 145/160 and 137/160 before the kinds of set B and of the 25
/// cases of 2026-12-05 (136-160); 125/135 and 118/135 before them, and
/// 96.7% and 89.0% of 91 before the 44 cases of 2026-12-04 (092-135).
/// Lowered on branch `snap` (2026-12-05) from (92, 88, 84) to (91, 87, 83),
/// for one relabelled case: development 148/141/135 → 147/140/134 of 160.
/// 084 (the Steam snap's profile refusing a bind, `Can't bind mount …:
/// EACCES`) was named first as container-lsm-profile, its old label; by the
/// taxonomy a snap's profile is apparmor-profile-denial (engine/rules/README.md,
/// "A snap's confinement"), and the words with only Ubuntu 22.04 or nothing
/// known cannot tell a snap's profile from a container's (the bind prior
/// needs AppArmor stated on; keying it on Ubuntu instead would move 114, an
/// LXD container on Ubuntu, to wrong in the `os.*`-only replay). No other
/// case moved. Raised on branch `dest` (the binds' kinds: 135, 149, 155,
/// 123, 124); with both merged (and `userns`): 150/143/137 of 160; with
/// `nested` too: 151/144/138 (94.4%, 90.0%, 86.3%). Set E, retired at
/// 22:22 UTC and read by kind (branches `esnap`, `econt`), joins at
/// 30/35 (85.7%), 25/35 (71.4%), 23/35 (65.7%): its Steam-snap and
/// container cases need the facts the thread states (a label, a sysctl).
/// Lowered on branch `qemu` (2026-12-05) for development from (94, 90, 86)
/// to (94, 89, 85), for one relabelled case: 151/144/138 → 151/143/137 of
/// 160. 099 (BuildStream under qemu-user in Podman, `Creating new namespace
/// failed, likely because the kernel does not support user namespaces`) was
/// `other`, which counts as named first whenever nothing is confirmed; by
/// the taxonomy it is kernel-feature-missing (engine/rules/README.md,
/// "qemu-user emulation"), and with its container unsaid (`os.*` alone,
/// and it states no distribution) or nothing known, the words cannot tell
/// an emulator (2 of the 16 development cases of this EINVAL, both in a
/// container) from WSL 1 and kernels without user namespaces, which the
/// priors rightly put first there. With `container.kind` it is named first.
/// Raised on branch `devmiss` (2026-12-05, the development sets' last
/// misses by kind): development 151/144/138 → 154/147/141 of 160 (96.3%,
/// 91.9%, 88.1%: 122 by the word-forms repair of retyped words, 084 and 144
/// by the snap rule's priors for a caller's bind from `/oldroot/`, which
/// leave 114's `/newroot/proc/sys` rebind to LXD's profile); set E
/// 30/25/23 → 32/27/28 of 35 (91.4%, 77.1%, 80.0%: its Steam-snap binds and
/// tmpfs mounts). No case moved to wrong. Then the replaced /etc file on
/// NixOS (bind-source-missing.replaced's NixOS prior): development
/// 154/147/141 → 156/149/141 (97.5%, 93.1%, 88.1%: 123, 124), set E
/// 32/27/28 → 33/28/28 (94.3%, 80.0%, 80.0%: E 016).
/// With both merged (main, 2026-12-06 00:40 UTC): development 156/148/140
/// of 160 (97.5%, 92.5%, 87.5%): devmiss's gains, less 099 at `os.*` alone
/// and with nothing known. Set G joined at its retirement (2026-12-06 02:20
/// UTC, the rules of 7d3b9cd): 40/37/37 of 48 (83.3%, 77.1%, 77.1%).
/// Lowered on branch `binds` (2026-12-06) for development from (97, 92, 87)
/// to (96, 91, 86), for one case the re-counted prior now names second:
/// 156/148/140 → 155/147/139 of 160. Of the development cases (every set)
/// whose `Can't find source path …: Permission denied` is neither under
/// /root nor the document portal, 4 are a local directory closed by its
/// modes to the uid bwrap runs as (bad-arguments: set G 002, 210, set E
/// 109, dev 119, the last two relabelled by the taxonomy) and 1 a root-owned
/// sshfs without allow_other (064, mount-permission-denied), so with nothing
/// known `bad-arguments.source-unsearchable` (prior 40) goes first
/// (engine/rules/README.md, "Whose path: a source the uid cannot reach").
/// 064 is still named first on its thread's facts (`path.mount` fuse
/// confirms it). Set A 60/58/55 → 61/59/56 of 67 (024) and set G
/// 40/37/37 → 43/40/40 of 48 (002, 003, 210) rose; no other case moved.
/// Set F joined at its retirement (2026-12-06 03:15 UTC), measured after the
/// /sys and /proc exception below: 13/11/11 of 15.
const FEW_FACTS_FLOORS: &[(&str, KnownWrong, (usize, usize, usize))] = &[
    ("tests/corpus", DEVELOPMENT_KNOWN_WRONG, (96, 91, 86)),
    ("tests/corpus/test", &[], (91, 88, 83)),
    ("tests/corpus/test-b", TEST_SET_B_KNOWN_WRONG, (96, 93, 93)),
    ("tests/corpus/test-c", TEST_SET_C_KNOWN_WRONG, (95, 95, 93)),
    ("tests/corpus/test-d", TEST_SET_D_KNOWN_WRONG, (90, 90, 93)),
    ("tests/corpus/test-e", TEST_SET_E_KNOWN_WRONG, (94, 80, 80)),
    ("tests/corpus/test-f", TEST_SET_F_KNOWN_WRONG, (86, 73, 73)),
    ("tests/corpus/test-g", TEST_SET_G_KNOWN_WRONG, (89, 83, 83)),
];

/// Test set A (tests/corpus/test/README.md): cases chosen before the rules
/// changed for them and held out until 2026-12-04 22:13 UTC, now a second
/// development measure (its misses were read and classified by kind). The
/// name is kept; the held-out figure is set B's.
fn held_out_test_set_accuracy_per_cause() {
    // Set A was retired into development on 2026-12-04 22:13 UTC (its misses
    // were classified by kind, tests/corpus/test/README.md): no wrong
    // confirmation is accepted any more. Floors under the figures measured
    // after the kinds were fixed (91.0% and 44.8% of 67; confirmed 49.3%
    // after set B's kinds); development figures now, not generalization.
    // Raised on branch `binds` (2026-12-06): 62/67 (92.5%), 024 by the
    // absolute-path prior of bad-arguments.program-is-directory.
    assert_set("tests/corpus/test", 60, &[], (92, 49));
}

/// Test set B (tests/corpus/test-b/README.md): 62 cases chosen on
/// 2026-12-04 against 5dec0b1, before issue 13's rule changes, held out
/// until 2026-12-04 23:52 UTC and then retired into development (its misses
/// were read and classified by kind). The name is kept. Floors under the
/// figures after its kinds were fixed (57/62 = 91.9% named first, 20/62 =
/// 32.3% confirmed after the audit below; 77.4% and 22.6% while it was held
/// out): development
/// figures now, not generalization. (The confirmation soundness audit of
/// 2026-12-05, merged from main, left `Can't find source path …: EACCES`
/// unconfirmed where no fact says whether an AppArmor profile refused the
/// path.) Confirmed 20 → 19/62 (30.6%) on branch `rulesd`: 032's
/// `prctl(PR_SET_SECCOMP): Invalid argument` is no longer confirmed as a
/// missing kernel feature from the words (a malformed filter program gives
/// the same EINVAL, set D 039; only /proc/self/status without a Seccomp line
/// confirms it, and the thread gives none); it is still named first. A
/// wrong confirmation beyond the one listed with its reason in
/// [`TEST_SET_B_KNOWN_WRONG`] fails.
/// Branch `nested`: 60/62 (96.8%) named first, 028, 030 and 042 relabelled by
/// the mechanism (engine/rules/README.md, "Containers and nested sandboxes").
/// Branch `userns` (2026-12-06): 055 relabelled bad-arguments by the taxonomy
/// (its file says why), 032 unrepresented: 61/62 (98.4%) named first, 20
/// (32.3%) confirmed, none wrong; fixture hosts 57/59, 31, none wrong. The
/// floors rise to 98 and 32; few facts 60 / 58 / 58 of 62 (96 / 93 / 93).
fn held_out_test_set_b_accuracy_per_cause() {
    assert_set("tests/corpus/test-b", 60, TEST_SET_B_KNOWN_WRONG, (98, 32));
}

/// Wrong confirmations on test set B's thread facts at its baseline
/// (main 5dec0b1's rules), with the reason (case file, why). Aim: none.
const TEST_SET_B_KNOWN_WRONG: &[(&str, &str)] = &[];

/// Test set C (tests/corpus/test-c/README.md): 60 cases chosen on
/// 2026-12-05 against ff43856 (threads hashing to 1 under tests/corpus/split.md),
/// committed before any was replayed, and kept from the people who write
/// rules until 2026-12-05 02:32 UTC, when it was retired into development
/// (its misses are read to learn from them by kind; the name is kept). While
/// held out: 49/60 (81.7%) named first, 11 then 13 confirmed, 4 confirmed
/// wrong. After the kinds of its misses were fixed (branch `rulesc`: the
/// ENOEXEC convention, a command line passed as one argument, a quoted
/// message wrapped onto an indented line, a line cut before its errno, capset
/// outside AppArmor's restriction, SELinux's getattr check on a bind source):
/// 57/60 (95.0%) named first, 18 (30.0%) confirmed, none wrong; the floors
/// sit there. These figures measure recall now, not generalization. Any
/// wrong confirmation fails.
/// Branch `nested`: 58/60 (96.7%) named first, 044 relabelled by the
/// mechanism (EACCES at `Failed to make / slave` is a security module's).
fn held_out_test_set_c_accuracy_per_cause() {
    assert_set("tests/corpus/test-c", 60, TEST_SET_C_KNOWN_WRONG, (96, 30));
}

/// Wrong confirmations on set C's thread facts, with the reason (case file,
/// why). At its baseline (main ff43856's rules) four: three `Exec format
/// error` cases then labelled `other` and a command line passed as one
/// argument, all confirmed as command-not-found-in-sandbox; none since the
/// ENOEXEC convention (engine/rules/README.md) and
/// `bad-arguments.unsplit-command`.
const TEST_SET_C_KNOWN_WRONG: &[(&str, &str)] = &[];

/// Test set D (tests/corpus/test-d/README.md): 31 cases chosen on
/// 2026-12-05 against e453319 and a second batch of 12 chosen the same day
/// against 94c89e0 (every unused thread could go to it, no hash split; the
/// public pool ran out before 60), each batch committed before any of its
/// cases was replayed, and kept from the people who write rules until
/// 2026-12-05 05:10 UTC, when it was retired into development (its misses
/// are read to learn from them by kind; the name is kept). While held out:
/// 37/43 (86.0%) named first at its baseline, 38/43 (88.4%) after the round
/// of 03:10 UTC, 21 confirmed, two confirmed wrongly. After its kinds were
/// fixed (branch `rulesd`: EINVAL from PR_SET_SECCOMP confirmed only by
/// what /proc/self/status says of the kernel's seccomp, ENXIO at a file's
/// mount point a step's errno never confirmed, Ubuntu's bwrap profile in the
/// fixture kinds as the probe reads it): 39/43 (90.7%) named first, 22
/// (51.2%) confirmed, none wrong; the floors sit there. These figures
/// measure recall now, not generalization. Any wrong confirmation fails.
fn held_out_test_set_d_accuracy_per_cause() {
    assert_set("tests/corpus/test-d", 43, TEST_SET_D_KNOWN_WRONG, (90, 51));
}

/// Wrong confirmations on set D's thread facts, with the reason (case file,
/// why). At its baseline (main 94c89e0's rules) two: a socket bound over a
/// socket under bwrap before 0.6.0 (036) confirmed as bad-arguments and a
/// malformed filter program (039) confirmed as kernel-feature-missing; none
/// since branch `rulesd` (engine/rules/README.md, the audit's corrections).
const TEST_SET_D_KNOWN_WRONG: &[(&str, &str)] = &[];

/// Test set E (tests/corpus/test-e/README.md): 35 cases chosen on
/// 2026-12-05 05:03-05:20 UTC against fb38665 (the rules of 27802ce) by two
/// collectors split by where a record lives (tests/corpus/split.md, "Set E"),
/// each batch committed before any case was replayed, and kept from the
/// people who write rules. Baseline measured once after both commits
/// (05:27 UTC), before any rule change of the round: on the thread's facts
/// 22/35 (62.9%) named first, 8/35 (22.9%) confirmed, none wrong; on
/// complete fixture hosts 23/34 (67.6%), 18/34, one wrong (listed in
/// [`FIXTURE_KNOWN_WRONG`]). Unchanged after branches `rulesd` and `probe`
/// (21:33 UTC). After branches `userns`, `snap`, `dest` and `nested`
/// (written from development data; `snap`'s topic chosen partly from this
/// set's per-cause table, so steered), measured once at 22:20 UTC: 25/35
/// (71.4%) named first, 8 confirmed, none wrong; fixture hosts 25/34
/// (73.5%), 19, the same one wrong. The floors sit there. Retired into
/// development at 22:22 UTC (its misses are read from then on; the name is
/// kept). Its misses of the AppArmor family read on branch `esnap` (22:30
/// UTC) and mended by kind (engine/rules/README.md, "A snap's confinement"
/// and "Set E's AppArmor misses"): the five Steam-snap cases given the
/// snap-steam kind their threads show, a tmpfs refused by EACCES ranked to
/// the snap's profile, EACCES at the namespace ranked to the restriction
/// where its sysctl is seen at 1 and to the container's profile inside a
/// container (whose AppArmor rule now owns that refusal, so 108's fixture
/// host no longer confirms apparmor-profile-denial): 30/35 (85.7%) named
/// first, 8 confirmed, none wrong; fixture hosts 31/35 (88.6%), 25, none
/// wrong. Its container and bind misses read on branch `econt` (same
/// time; engine/rules/README.md, "What set E's misses taught"): openat2
/// filtered is kernel-feature-missing, a container's resolv.conf replaced
/// under its bind, EINVAL at the user namespace in a Kubernetes pod is the
/// node's kernel; 013 and 011 relabelled with their reasons. With both:
/// 34/35 (97.1%) named first, 9 confirmed, none wrong; fixture hosts
/// 33/35 (94.3%), 26, none wrong. The floors sit there; they measure recall of cases read while
/// writing the rules, not generalization (set F's figure is that). Both
/// hosts are measured and reported before any assertion.
fn held_out_test_set_e_accuracy_per_cause() {
    assert_set("tests/corpus/test-e", 35, TEST_SET_E_KNOWN_WRONG, (97, 25));
}

/// Wrong confirmations on test set E's thread facts at its baseline (the
/// rules of 27802ce), with the reason (case file, why). Aim: none.
const TEST_SET_E_KNOWN_WRONG: &[(&str, &str)] = &[];

/// Test set F (tests/corpus/test-f/README.md): 9 cases chosen on
/// 2026-12-05 21:48-21:55 UTC against 5131a0e by one collector who writes no
/// rules, committed (ca117f3) before any case was replayed and before any
/// rule change of the round (branches snap, nested, dest, userns) landed.
/// Baseline measured once on the rules of 5131a0e: on the thread's facts
/// 7/9 (77.8%) named first, 4/9 (44.4%) confirmed, none wrong; on complete
/// fixture hosts 4/5 (80.0%), 4/5, none wrong (four cases have no kind).
/// The floors sit at the baseline. Nine cases: one case is 11 points.
/// After branches `userns`, `snap`, `dest` and `nested` (none chosen from
/// or able to read this set), measured once at 22:20 UTC: unchanged.
/// Second batch (101-106), chosen 22:24-22:35 UTC against d31fc40 (set E's
/// retirement, before any rule change for its misses) by a second
/// collector, committed (fe668ff) before any replay. Baseline of the whole
/// set on the rules of abd6d00: 13/15 (86.7%) named first, 6/15 (40.0%)
/// confirmed, none wrong; fixture hosts 9/10 (90.0%), 7/10, none wrong
/// (five cases have no kind). The second batch alone: 6/6 named first, 2
/// confirmed. The floors sit at that baseline. After set E's misses
/// (branches `esnap`, `econt`), measured once: unchanged. After the round
/// of 2026-12-05 23:40 UTC on (branches `ubuntu`, `qemu`, `devmiss`; the
/// `qemu` topic chosen by the lead knowing this set's two misses are
/// qemu-user cases, so steered for that family), measured once at 00:38
/// UTC: unchanged (not checked case by case; likely: the qemu rule's
/// prior needs a container the threads do not state, and its confirmation
/// needs the bwrap file).
/// After the round of 2026-12-06 02:20 UTC on (branches `binds`, `userns`,
/// written from set G's and the other development misses; neither could
/// read this set), measured once at 03:14 UTC: 12/15 (80.0%) named first, 6
/// confirmed, none wrong; fixture hosts 8/10, 6, none wrong — 004 (a
/// hardened /sys/block the caller may not search, labelled
/// mount-permission-denied) now named bad-arguments first, by
/// `bad-arguments.source-unsearchable`'s prior. Retired into development at
/// 03:15 UTC (when the lead read its misses to see why); the floors sit at that
/// figure. Then, as development data: a source under /sys or /proc (and
/// until the review, /dev) closed by its modes is the host's hardening, not
/// a path the call chose
/// (`bad-arguments.source-unsearchable` no longer ranks it): 13/15 named
/// first (86.7%), 6 confirmed; fixture hosts 9/10.
fn held_out_test_set_f_accuracy_per_cause() {
    assert_set("tests/corpus/test-f", 15, TEST_SET_F_KNOWN_WRONG, (86, 40));
}

/// Wrong confirmations on test set F's thread facts at its baseline (the
/// rules of 5131a0e), with the reason (case file, why). Aim: none.
const TEST_SET_F_KNOWN_WRONG: &[(&str, &str)] = &[];

/// Test set G (tests/corpus/test-g/README.md): chosen on 2026-12-05 from
/// 23:42 UTC against ce56077 by two collectors who write no rules (G1:
/// GitHub threads; G2: every other kind of record), committed before any
/// case was replayed and before any rule change of the session (branches
/// `ubuntu`, `qemu`, `devmiss`, whose worktrees do not contain this set)
/// landed: 8 cases by G1 (ec04d69, 23:42-23:48 UTC), 13 by G2 (c3de340,
/// 23:42-23:54 UTC). Baseline measured once, 23:55 UTC, on the rules of
/// ce56077: on the thread's facts 17/21 (81.0%) named first, 7/21 (33.3%)
/// confirmed, none wrong; on complete fixture hosts 16/19 (84.2%), 9/19,
/// one wrong (111, in [`FIXTURE_KNOWN_WRONG`]; two cases have no kind).
/// The floors sit at the baseline. One case is 4.8 points. Exposure: a
/// floor set at 81 failed once and printed the four thread-fact misses
/// (the lead read them, 23:56 UTC; no brief changed after; the floor
/// failure now hides a held-out set's misses). After branches `ubuntu`,
/// `qemu` and `devmiss` (none could read this set or was steered by it),
/// measured once at 00:38 UTC: unchanged. Second batch (201-211), chosen
/// 00:42-00:51 UTC against 895ab82 (after that round, before any later rule
/// change) by a third collector, committed (a07329c) before any replay.
/// Baseline of the whole set on the rules of 895ab82, measured once at
/// 00:52 UTC: 26/32 (81.2%) named first, 12/32 (37.5%) confirmed, none
/// wrong; fixture hosts 22/27 (81.5%), 11/27, two wrong (111, 210, both in
/// [`FIXTURE_KNOWN_WRONG`]; five cases have no kind). The second batch
/// alone: 9/11 named first, 5 confirmed. After branch `binfmt`: unchanged.
/// Third batch (301-310, 401-406), chosen 00:54-01:07 UTC against cbbb88d
/// (after `binfmt`, before any later rule change) by two more collectors,
/// committed (398c159, 08d4416) before any replay. Baseline of the whole
/// set on the rules of cbbb88d, measured once at 01:07 UTC: 40/48 (83.3%)
/// named first, 18/48 (37.5%) confirmed, none wrong; fixture hosts 36/42
/// (85.7%), 20/42, the same two wrong. The third batch alone: 14/16 named
/// first, 6 confirmed. The floors sit at that baseline. Retired into
/// development on 2026-12-06 02:20 UTC at 7d3b9cd (unchanged since
/// cbbb88d: 40/48, 18, none wrong; fixture hosts 36/42, 20, two wrong):
/// its misses are read by rule writers from now on, and held-out set H
/// (tests/corpus/split.md, "Set H") is chosen against 7d3b9cd, before any
/// rule change for them. Raised on branch `binds` (2026-12-06: whose path,
/// engine/rules/README.md): 43/48 (89.6%) named first (002, 003, 210),
/// 18 confirmed, none wrong; fixture hosts 38/42, 20, one wrong (111; 210's
/// fixture host no longer confirms mount-permission-denied); then 39/42 (403:
/// a caller seen confined by a snap's AppArmor profile puts the step's
/// apparmor-profile-denial first).
/// Branch `userns` (2026-12-06): 41/48 named first with 109's stated
/// namespace limits and the new limit rules; fixture hosts one wrong (210).
/// Both merged (main, 2026-12-06 03:10 UTC): 44/48 (91.7%) named first, 18
/// confirmed, none wrong; fixture hosts 39/42, 20, none wrong (111 and
/// 210 mended for their kinds; FIXTURE_KNOWN_WRONG no longer lists them).
fn held_out_test_set_g_accuracy_per_cause() {
    assert_set("tests/corpus/test-g", 48, TEST_SET_G_KNOWN_WRONG, (91, 37));
}

/// Wrong confirmations on test set G's thread facts at its baseline (the
/// rules of ce56077), with the reason (case file, why). Aim: none.
const TEST_SET_G_KNOWN_WRONG: &[(&str, &str)] = &[];

/// Test set H (tests/corpus/test-h/README.md, tests/corpus/split.md "Set
/// H"): chosen on 2026-12-06 from 02:17 UTC against 7d3b9cd, after set G's
/// retirement and before any rule change for its misses, by three
/// collectors who write no rules (H1: repository files and commits of
/// agent and developer tools, 101-113, f00f71c; H2: the same of desktop,
/// gaming and distributions, 201-208, 5179240; H3: GitHub threads and
/// pages, 001-005, a55b099), each batch committed before any replay.
/// Baseline measured once, 02:31 UTC, on the rules of 7d3b9cd: on the
/// thread's facts 24/26 (92.3%) named first, 10/26 (38.5%) confirmed, none
/// wrong; on complete fixture hosts 17/20 (85.0%), 11/20, none wrong (six
/// cases have no kind). Second batch (301-310, 401-411), chosen
/// 02:30-02:45 UTC against 4525c29 (the rules of 7d3b9cd) by two more
/// collectors sweeping bwrap's message catalogue (H4: its first half,
/// f31d72b; H5: its second half, 9347039), committed before any replay.
/// Baseline of the whole set on the rules of 7d3b9cd, measured once at
/// 02:44 UTC: 42/47 (89.4%) named first, 21/47 (44.7%) confirmed, none
/// wrong; fixture hosts 29/34 (85.3%), 22/34, none wrong (13 cases have no
/// kind). The second batch alone: 18/21 named first, 11 confirmed. Third
/// batch (501-509, 601-606), chosen 02:45-03:01 UTC against 4cd6429 (the
/// rules of 7d3b9cd) by two more collectors (H6: git histories and pinned
/// files, 965404a; H7: callers' prefixes and wrapper texts, 1438096),
/// committed before any replay. Baseline of the whole set on the rules of
/// 7d3b9cd, measured once at 03:01 UTC: 56/62 (90.3%) named first, 28/62
/// (45.2%) confirmed, none wrong; fixture hosts 42/48 (87.5%), 33/48, none
/// wrong (14 cases have no kind). The third batch alone: 14/15 named
/// first, 7 confirmed. The floors sit at that baseline. One case is 1.6
/// points. After the round (branches `binds` and `userns`, written from set
/// G's and the other development misses in worktrees without this set; then
/// set F's retirement and its two follow-ups), measured once at 03:19 UTC:
/// unchanged. After the review's fixes (capset confirms only for a setuid
/// bwrap; LXC's nesting profile; stages' sentence cut), 03:49 UTC:
/// unchanged.
fn held_out_test_set_h_accuracy_per_cause() {
    assert_set("tests/corpus/test-h", 62, TEST_SET_H_KNOWN_WRONG, (90, 45));
}

/// Wrong confirmations on test set H's thread facts at its baseline (the
/// rules of 7d3b9cd), with the reason (case file, why). Aim: none.
const TEST_SET_H_KNOWN_WRONG: &[(&str, &str)] = &[];

/// Test set I (tests/corpus/test-i/README.md, tests/corpus/split.md "Set
/// I"): chosen on 2026-12-06 03:21-03:40 UTC against 0b90fda (the rules
/// after the round of branches `binds` and `userns`) in one batch by three
/// collectors who write no rules (I1: repository files and commits,
/// 101-105, 14d1be9; I2: threads and pages, none, 56c1ee0; I3: messages no
/// case held, 201, 8c2a202), committed before any replay, measured once and
/// not grown after. The search tools' budget was spent, so the set is
/// small. Measured once, 03:38 UTC, on the rules of 0b90fda: 4/6 named
/// first, 1 confirmed, none wrong; the lead then saw that 104 is a twin of
/// set H's 509 (the same README of fgaz/nix-bubblewrap at another commit:
/// excluded by the inclusion rule) and removed it, a case named first and
/// confirmed: 3/5 (60.0%) named first, 0 confirmed, none wrong; fixture
/// hosts 2/4, 1, none wrong (one case has no kind). One case is 20 points.
/// After the review's fixes, 03:49 UTC: unchanged.
fn held_out_test_set_i_accuracy_per_cause() {
    assert_set("tests/corpus/test-i", 5, TEST_SET_I_KNOWN_WRONG, (60, 0));
}

/// Wrong confirmations on test set I's thread facts at its baseline (the
/// rules of 0b90fda), with the reason (case file, why). Aim: none.
const TEST_SET_I_KNOWN_WRONG: &[(&str, &str)] = &[];

/// The causes an `explain --json` document names, in its order, with
/// their verdicts: the candidates neither superseded nor refuted. A stage
/// rule (a step that failed, no specific rule standing) names its causes
/// most likely first: the first is its answer.
fn named(v: &serde_json::Value) -> Vec<(&str, &str)> {
    v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["superseded_by"].is_null() && c["verdict"] != "refuted")
        .map(|c| {
            let named = c["causes"][0]["cause"].as_str().or(c["cause"].as_str());
            (c["verdict"].as_str().unwrap(), named.unwrap())
        })
        .collect()
}

struct Measured {
    set: String,
    total: usize,
    first: usize,
    confirmed: usize,
    wrong: Vec<String>,
    missed: Vec<String>,
    per: BTreeMap<String, Tally>,
    /// Cases not replayed (on fixture hosts: no kind fits the thread's host).
    skipped: Vec<String>,
}

impl Measured {
    /// On complete fixture hosts no floor applies, but every wrong
    /// confirmation must be one of [`FIXTURE_KNOWN_WRONG`].
    fn assert_only_known_fixture_wrong(&self) {
        self.assert_wrong_only_in(FIXTURE_KNOWN_WRONG, "FIXTURE_KNOWN_WRONG");
    }

    /// Every wrong confirmation on the thread's facts is one of `known`.
    fn assert_only_known_wrong(&self, known: &[(&str, &str)]) {
        self.assert_wrong_only_in(known, "its list of known wrong confirmations");
    }

    fn assert_wrong_only_in(&self, known: &[(&str, &str)], list: &str) {
        let unexplained: Vec<&String> = self
            .wrong
            .iter()
            .filter(|w| {
                !known
                    .iter()
                    .any(|(file, _)| w.starts_with(&format!("{file}: ")))
            })
            .collect();
        assert!(
            unexplained.is_empty(),
            "{}: confirmed but wrong, not in {list}:\n{}",
            self.set,
            unexplained
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    fn assert_floors(&self, first: usize, confirmed: usize) {
        let total = self.total;
        // A held-out set's misses stay hidden here too: a floor is a number,
        // and the cases below it are what a rule writer must not read.
        let missed = if hidden(&self.set) {
            format!(
                "(its misses are hidden: the set is held out; {SHOW_HELD_OUT}=1 shows them and retires it)"
            )
        } else {
            self.missed.join("\n")
        };
        assert!(
            self.first * 100 >= total * first,
            "{}: the cause named first is right in {}/{total}, below {first}%:\n{missed}",
            self.set,
            self.first,
        );
        assert!(
            self.confirmed * 100 >= total * confirmed,
            "{}: a cause is confirmed right in {}/{total}, below {confirmed}%",
            self.set,
            self.confirmed
        );
    }
}

/// The sets still held out: their per-case lines (which case was missed and
/// how) are not printed, so that a rule writer reading a test log does not
/// read them; the totals and the per-cause table are, and a floor's
/// failure gives only the figure. A wrong confirmation still names its case
/// (it must be acted on).
/// Set C was retired into development on 2026-12-05 02:32 UTC, set D on
/// 2026-12-05 05:10 UTC; set E (tests/corpus/split.md, "Set E"), chosen
/// against fb38665 (the rules of 27802ce), was held out until 2026-12-05
/// 22:22 UTC; set F, chosen against 5131a0e and d31fc40, and set G, chosen
/// against ce56077 (2026-12-05 23:42 UTC on), were held out together; set
/// G was retired into development on 2026-12-06 02:20 UTC (its per-case
/// lines were read to brief the rule writers). Set F was retired on
/// 2026-12-06 03:15 UTC, after its figure fell with the round of branches
/// `binds` and `userns` (its misses were read to see why). Set H (chosen
/// against 7d3b9cd, 02:17 UTC on) is held out now.
const HELD_OUT: &[&str] = &["tests/corpus/test-h", "tests/corpus/test-i"];

/// Set to print a held-out set's per-case lines anyway.
const SHOW_HELD_OUT: &str = "BWD_SHOW_HELD_OUT";

/// Whether `set`'s per-case lines are kept out of the output.
fn hidden(set: &str) -> bool {
    HELD_OUT.contains(&set) && std::env::var_os(SHOW_HELD_OUT).is_none()
}

/// Replay every case of `set` on the facts its thread states and report
/// per cause.
fn measure(set: &str) -> Measured {
    replay(set, On::ThreadFacts)
}

/// Replay every case of `set` on a complete fixture host of its kind.
fn measure_on_fixtures(set: &str) -> Measured {
    replay(set, On::FixtureHost)
}

/// The host a case is replayed on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    /// Only the facts the thread states (and the documented defaults).
    ThreadFacts,
    /// The complete fixture host of the case's kind ← the thread's facts.
    FixtureHost,
    /// Only the thread's facts whose keys start with one of these, and no
    /// arguments: pasted text with little said about the host.
    Few(&'static [&'static str]),
}

fn replay(set: &str, on: On) -> Measured {
    let cases = load(set);
    let dir = support::install().scratch();
    let mut per: BTreeMap<String, Tally> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut missed = Vec::new();
    let mut skipped = Vec::new();
    for case in &cases {
        let few;
        let (case, snap) = match on {
            On::ThreadFacts => (case, snapshot(case, &dir)),
            On::Few(keep) => {
                few = Case {
                    file: case.file.clone(),
                    cause: case.cause.clone(),
                    also: case.also.clone(),
                    stderr: case.stderr.clone(),
                    argv: Vec::new(),
                    facts: case
                        .facts
                        .iter()
                        .filter(|(k, _)| keep.iter().any(|p| k.starts_with(p)))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    kind: None,
                };
                (&few, snapshot(&few, &dir))
            }
            On::FixtureHost => match fixture_snapshot(case, &dir) {
                Some(p) => (case, p),
                None => {
                    skipped.push(format!("{}: no fixture kind fits its host", case.file));
                    continue;
                }
            },
        };
        let mut args = vec![
            "explain".to_string(),
            "--json".into(),
            "--snapshot".into(),
            snap.display().to_string(),
        ];
        if !case.argv.is_empty() {
            args.push("--".into());
            args.extend(case.argv.iter().cloned());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut c = doctor(As::User, &argv);
        let out = support::run_with_input(
            &mut c,
            Some(case.stderr.as_bytes()),
            std::time::Duration::from_secs(60),
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", case.file, out.stderr_text()));
        support::schema::assert_valid(&v);
        let shown = named(&v);
        let confirmed: Vec<&str> = shown
            .iter()
            .filter(|(v, _)| *v == "confirmed")
            .map(|(_, c)| *c)
            .collect();
        let t = per.entry(case.cause.clone()).or_default();
        t.cases += 1;
        let bad: Vec<&&str> = confirmed
            .iter()
            .filter(|c| **c != case.cause && !case.also.iter().any(|a| a == **c))
            .collect();
        let right = |got: Option<&str>| match case.cause.as_str() {
            // `other` says no cause of the taxonomy explains the failure: right
            // when nothing but `other` is confirmed (no rule at all, or one
            // whose cause is `other` itself: other.ubuntu-withdrawn-resolve,
            // a distribution's regressed bwrap build).
            "other" => confirmed.iter().all(|c| *c == "other"),
            want => got == Some(want),
        };
        if !bad.is_empty() {
            t.wrong += 1;
            wrong.push(format!(
                "{}: expected {}, confirmed {confirmed:?}",
                case.file, case.cause
            ));
            continue;
        }
        if right(confirmed.first().copied()) {
            t.confirmed += 1;
        }
        if right(shown.first().map(|(_, c)| *c)) {
            t.first += 1;
        } else {
            missed.push(format!(
                "{}: expected {}, named {shown:?}",
                case.file, case.cause
            ));
        }
    }
    let total = cases.len() - skipped.len();
    let sum = per.values().fold(Tally::default(), |a, t| Tally {
        cases: a.cases + t.cases,
        confirmed: a.confirmed + t.confirmed,
        first: a.first + t.first,
        wrong: a.wrong + t.wrong,
    });
    let pct = |n: usize| 100.0 * n as f64 / total as f64;
    let host = match on {
        On::ThreadFacts => "on the thread's facts".to_string(),
        On::FixtureHost => "on complete fixture hosts".to_string(),
        On::Few([]) => "with no fact and no arguments (the priors alone order)".to_string(),
        On::Few(keep) => format!("with only the facts {keep:?}, no arguments"),
    };
    eprintln!(
        "    {set} {host}: {total} cases; the cause named first is right in {} ({:.1}%); confirmed right in {} ({:.1}%); confirmed wrong in {}",
        sum.first,
        pct(sum.first),
        sum.confirmed,
        pct(sum.confirmed),
        wrong.len()
    );
    eprintln!(
        "      {:<34} {:>5} {:>6} {:>9}",
        "cause", "cases", "first", "confirmed"
    );
    for (cause, t) in &per {
        eprintln!(
            "      {cause:<34} {:>5} {:>6} {:>9}",
            t.cases, t.first, t.confirmed
        );
    }
    if hidden(set) {
        eprintln!(
            "      per-case lines hidden ({} named first wrongly, {} confirmed wrongly, {} not replayed): \
             the set is held out, its misses must not be read while rules are written \
             ({SHOW_HELD_OUT}=1 shows them; whoever reads them retires the set)",
            missed.len(),
            wrong.len(),
            skipped.len()
        );
    } else {
        for m in &missed {
            eprintln!("      named first, wrongly: {m}");
        }
        for w in &wrong {
            eprintln!("      confirmed wrongly: {w}");
        }
        for s in &skipped {
            eprintln!("      not replayed: {s}");
        }
    }
    Measured {
        set: set.to_string(),
        total,
        first: sum.first,
        confirmed: sum.confirmed,
        wrong,
        missed,
        per,
        skipped,
    }
}

/// The two figures side by side, per cause.
fn report_beside(thread: &Measured, fixture: &Measured) {
    let pct = |n: usize, d: usize| 100.0 * n as f64 / d.max(1) as f64;
    eprintln!(
        "    {}: thread facts {}/{} named first ({:.1}%), {} confirmed ({:.1}%), {} wrong | complete fixture hosts {}/{} named first ({:.1}%), {} confirmed ({:.1}%), {} wrong ({} not replayed)",
        thread.set,
        thread.first,
        thread.total,
        pct(thread.first, thread.total),
        thread.confirmed,
        pct(thread.confirmed, thread.total),
        thread.wrong.len(),
        fixture.first,
        fixture.total,
        pct(fixture.first, fixture.total),
        fixture.confirmed,
        pct(fixture.confirmed, fixture.total),
        fixture.wrong.len(),
        fixture.skipped.len(),
    );
    eprintln!(
        "      {:<34} {:>5} | {:>6} {:>9} {:>5} | {:>5} {:>6} {:>9} {:>5}",
        "cause", "cases", "first", "confirmed", "wrong", "cases", "first", "confirmed", "wrong"
    );
    for (cause, t) in &thread.per {
        let f = fixture.per.get(cause).copied().unwrap_or_default();
        eprintln!(
            "      {cause:<34} {:>5} | {:>6} {:>9} {:>5} | {:>5} {:>6} {:>9} {:>5}",
            t.cases, t.first, t.confirmed, t.wrong, f.cases, f.first, f.confirmed, f.wrong
        );
    }
}

/// Wrong confirmations on complete fixture hosts that are understood, with
/// the reason (case file, why). Aim: none.
const FIXTURE_KNOWN_WRONG: &[(&str, &str)] = &[];

/// The fixture host kinds (tests/fixtures/kinds/README.md).
fn kinds_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kinds")
}

/// A case's kind, by this rule (tests/corpus/README.md, "Fixture hosts"):
/// its `kind` field when it has one ("unrepresented": no kind fits, the case
/// is not replayed on a fixture host); else its `container.kind`, when not
/// "none"; else its `os.id` and `os.version_id` (and, on Arch, a
/// linux-hardened `kernel.release`); else `generic-desktop`.
fn kind_of(case: &Case) -> Option<String> {
    if let Some(k) = &case.kind {
        return (k != "unrepresented").then(|| k.clone());
    }
    let s = |k: &str| case.facts.get(k).and_then(|v| v.as_str());
    let container = match s("container.kind").unwrap_or("none") {
        "none" => None,
        "docker" => Some("docker-default"),
        "podman" => Some("podman-rootless"),
        "lxc" => Some("lxc-unprivileged"),
        "flatpak" => Some("nested-flatpak"),
        "bwrap" => Some("nested-bwrap"),
        other => Some(other),
    };
    if let Some(k) = container {
        return Some(k.to_string());
    }
    // "24.04" → (24, 4); absent → None.
    let version: Option<(u32, u32)> = s("os.version_id").map(|v| {
        let mut it = v.split('.').map(|n| n.parse::<u32>().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    });
    let restricted = case
        .facts
        .get("sysctl.kernel.apparmor_restrict_unprivileged_userns")
        .and_then(|v| v.as_integer())
        == Some(1);
    // linux-hardened names itself in its release (`5.1.16.a-1-hardened`).
    let hardened = s("kernel.release").is_some_and(|r| r.contains("hardened"));
    let k = match (s("os.id"), version) {
        (Some("ubuntu"), Some(v)) if v < (21, 0) => "ubuntu-20.04",
        (Some("ubuntu"), Some(v)) if v < (23, 10) => "ubuntu-22.04",
        (Some("ubuntu"), Some(v)) if v < (25, 4) => "ubuntu-24.04-desktop",
        (Some("ubuntu"), Some(_)) => "ubuntu-25.04",
        (Some("ubuntu"), None) if restricted => "ubuntu-24.04-desktop",
        (Some("debian"), Some(v)) if v.0 <= 10 => "debian-10",
        (Some("debian"), Some((11, _))) => "debian-11",
        (Some("debian"), Some((12, _))) => "debian-12",
        (Some("debian"), Some(_)) => "debian-13",
        (Some("fedora" | "bazzite" | "secureblue"), _) => "fedora",
        (Some("centos" | "rhel"), Some(v)) if v.0 <= 7 => "rhel-7",
        (Some("centos" | "rhel" | "alinux" | "rocky" | "almalinux"), _) => "rhel-8",
        (Some("arch" | "artix" | "manjaro"), _) if hardened => "arch-hardened",
        (Some("arch" | "artix" | "manjaro"), _) => "arch",
        (Some("nixos"), _) => "nixos",
        (Some(os @ ("ubuntu" | "debian")), None) => panic!(
            "{}: os.id {os} without os.version_id: give the case a kind (tests/corpus/README.md)",
            case.file
        ),
        _ => "generic-desktop",
    };
    Some(k.to_string())
}

type Facts = serde_json::Map<String, serde_json::Value>;

/// A kind's facts.
fn kind_facts(kind: &str) -> Facts {
    let path = kinds_dir().join(format!("{kind}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (no such fixture kind)", path.display()));
    let v = support::schema::parse_valid(&text);
    v["facts"].as_object().unwrap().clone()
}

/// Whether a kernel release predates the user.max_*_namespaces sysctls:
/// upstream before 4.9, RHEL 7's 3.10.0 before build 693 (7.4).
fn kernel_predates_ns_limits(release: &str) -> bool {
    let num = |s: &str| s.parse::<u32>().ok();
    let mut parts = release.split(['.', '-']);
    let (Some(major), Some(minor)) = (parts.next().and_then(num), parts.next().and_then(num))
    else {
        return false;
    };
    if (major, minor) == (3, 10) && release.contains(".el7") {
        let build = release
            .strip_prefix("3.10.0-")
            .and_then(|r| r.split('.').next())
            .and_then(num);
        return build.is_some_and(|b| b < 693);
    }
    (major, minor) < (4, 9)
}

/// The case on a complete fixture host of its kind: the kind's facts, the
/// thread's facts over them, the caller's identity kept coherent, and the
/// experiments recomputed for the merged host ([`experiments`]) unless the
/// thread states them. `None` when no kind fits.
fn fixture_snapshot(case: &Case, dir: &Path) -> Option<std::path::PathBuf> {
    let kind = kind_of(case)?;
    let of_kind = kind_facts(&kind);
    let mut f = of_kind.clone();
    let stated: serde_json::Value = serde_json::to_value(&case.facts).unwrap();
    let stated = stated.as_object().unwrap();
    let kind_euid = of_kind.get("caller.euid").and_then(|v| v.as_i64());
    for (k, v) in stated {
        f.insert(k.clone(), v.clone());
    }
    let says = |k: &str| stated.contains_key(k);
    // The caller the thread names, not the kind's default one.
    if let Some(euid) = stated.get("caller.euid").and_then(|v| v.as_i64()) {
        if !says("caller.uid") {
            f.insert("caller.uid".into(), euid.into());
        }
        if Some(euid) != kind_euid {
            let caps = if euid == 0 {
                f["caller.caps_bounding"].clone()
            } else {
                serde_json::json!([])
            };
            for k in ["caller.caps_effective", "caller.caps_permitted"] {
                if !says(k) {
                    f.insert(k.into(), caps.clone());
                }
            }
        }
    }
    // AppArmor the thread names on a kind without it: an unconfined caller
    // (a program started from the user's shell), profiles unknown.
    if stated.get("apparmor.enabled") == Some(&serde_json::Value::Bool(true))
        && !says("apparmor.label")
        && of_kind.get("apparmor.label") == Some(&serde_json::json!({"absent": true}))
    {
        f.insert("apparmor.label".into(), "unconfined".into());
        for k in ["apparmor.profile_files", "apparmor.profiles_loaded"] {
            if !says(k) {
                f.insert(
                    k.into(),
                    serde_json::json!({"unavailable": "not in the fixture kind"}),
                );
            }
        }
    }
    // SELinux the thread names as enforcing on a kind with AppArmor: a host
    // enforces one of the two major LSMs (every distribution a kind stands for
    // builds one in as the major LSM), so the kind's AppArmor goes, and the
    // caller's SELinux domain is unknown unless the thread gives it.
    if stated.get("selinux.mode").and_then(|v| v.as_str()) == Some("enforcing")
        && !says("apparmor.label")
        && !says("apparmor.enabled")
        && of_kind.get("apparmor.enabled") == Some(&serde_json::Value::Bool(true))
    {
        for k in [
            "apparmor.enabled",
            "apparmor.label",
            "apparmor.profile_files",
            "apparmor.profiles_loaded",
        ] {
            f.insert(k.into(), serde_json::json!({"absent": true}));
        }
        if !says("selinux.context") {
            f.insert(
                "selinux.context".into(),
                serde_json::json!({"unavailable": "not in the fixture kind"}),
            );
        }
    }
    // A kernel the thread names that predates the user.max_*_namespaces
    // sysctls (Linux 4.9; RHEL 7 backported them in 7.4's 3.10.0-693) has
    // none: the kind's values (rhel-7's limit of 0) are not that host's.
    if stated
        .get("kernel.release")
        .and_then(|v| v.as_str())
        .is_some_and(kernel_predates_ns_limits)
    {
        let limits: Vec<String> = f
            .keys()
            .filter(|k| k.starts_with("sysctl.user.max_") && !says(k))
            .cloned()
            .collect();
        for k in limits {
            f.insert(k, serde_json::json!({"absent": true}));
        }
    }
    if says("bwrap.path") && !says("bwrap.realpath") {
        f.insert("bwrap.realpath".into(), stated["bwrap.path"].clone());
    }
    if stated.get("bwrap.setuid") == Some(&serde_json::Value::Bool(true)) && !says("bwrap.mode") {
        f.insert("bwrap.mode".into(), "4755".into());
    }
    for (k, v) in experiments(&f, &case.argv) {
        if !says(k) {
            f.insert(k.into(), v);
        }
    }
    let snap = serde_json::json!({
        "schema": "bwrap-doctor/snapshot",
        "schema_version": 1,
        "note": format!("tests/corpus/{} on the fixture host kind {kind}", case.file),
        "facts": f,
    });
    let path = dir.join(case.file.replace(".toml", &format!(".{kind}.json")));
    std::fs::write(&path, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
    Some(path)
}

/// What bwrap-doctor's three experiments (engine/src/probe/experiment.rs) report
/// on a host with these facts, by the kernel's documented rules: no user
/// namespace without CONFIG_USER_NS or on WSL1 (EINVAL), none beyond
/// user.max_user_namespaces = 0 (ENOSPC), none in a chroot (clone(2):
/// EPERM), none for a non-root caller with Debian's
/// unprivileged_userns_clone = 0 (EPERM), none under Docker's default or
/// Flatpak's seccomp filter without CAP_SYS_ADMIN (EPERM); an unconfined
/// non-root caller under Ubuntu's apparmor_restrict_unprivileged_userns gets
/// one without capabilities, so writing its uid map fails (EPERM). Root
/// without a user namespace needs CAP_SYS_ADMIN to unshare and
/// CAP_NET_ADMIN for loopback; a procfs is refused (EPERM) where /proc has
/// overmounts (`proc.masked`) and the mount is made outside the initial
/// user namespace.
fn experiments(f: &Facts, argv: &[String]) -> [(&'static str, serde_json::Value); 3] {
    use serde_json::json;
    let int = |k: &str| f.get(k).and_then(|v| v.as_i64());
    let str_ = |k: &str| f.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let has_cap = |c: &str| {
        f.get("caller.caps_effective")
            .and_then(|v| v.as_array())
            .is_some_and(|a| a.iter().any(|x| x == c))
    };
    let euid = int("caller.euid").unwrap_or(1000);
    let container = str_("container.kind");
    // Under qemu-user (a bwrap of another machine than the kernel's: the
    // kind's shim is of the image's machine too, so it runs under the same
    // emulator) the kernel refuses unshare(CLONE_NEWUSER) to the emulator's
    // multithreaded process with EINVAL.
    let emulated = f.get("bwrap.format").and_then(|v| v.get("native")) == Some(&json!(false));
    let no_user_ns = container == "wsl1"
        || emulated
        || f.get("kernel.namespaces")
            .and_then(|v| v.as_array())
            .is_some_and(|a| !a.iter().any(|x| x == "user"));
    // Where the user namespace fails: (at the unshare?, errno).
    let blocked: Option<(bool, &str)> = if no_user_ns {
        Some((true, "EINVAL"))
    } else if int("sysctl.user.max_user_namespaces") == Some(0) {
        Some((true, "ENOSPC"))
    } else if f.get("chroot") == Some(&json!(true))
        || (euid != 0 && int("sysctl.kernel.unprivileged_userns_clone") == Some(0))
        || (int("caller.seccomp") == Some(2)
            && matches!(container, "docker" | "flatpak")
            && !has_cap("cap_sys_admin"))
    {
        Some((true, "EPERM"))
    } else if euid != 0
        && int("sysctl.kernel.apparmor_restrict_unprivileged_userns") == Some(1)
        && int("sysctl.kernel.apparmor_restrict_unprivileged_userns_complain") != Some(1)
        && str_("apparmor.label") == "unconfined"
    {
        Some((false, "EPERM"))
    } else {
        None
    };
    let message = |e: &str| match e {
        "EINVAL" => "Invalid argument",
        "ENOSPC" => "No space left on device",
        _ => "Operation not permitted",
    };
    let ok = json!({"ok": true, "step": "", "errno": "", "message": ""});
    let fail =
        |step: &str, e: &str| json!({"ok": false, "step": step, "errno": e, "message": message(e)});
    let in_userns = |unshare: &str| match blocked {
        Some((true, e)) => Some(fail(unshare, e)),
        Some((false, e)) => Some(fail("write /proc/self/uid_map", e)),
        None => None,
    };
    let masked = f
        .get("proc.masked")
        .and_then(|v| v.as_array())
        .is_some_and(|a| !a.is_empty());
    let initial = f.get("caller.in_initial_userns") != Some(&json!(false));
    // As engine/src/probe/experiment.rs: non-root always makes a user namespace,
    // root only when the call asks for one.
    let userns = euid != 0
        || argv.iter().any(|a| {
            matches!(
                a.as_str(),
                "--unshare-user" | "--unshare-user-try" | "--unshare-all" | "--userns"
            )
        });
    let user = in_userns("unshare(CLONE_NEWUSER)").unwrap_or(ok.clone());
    let (net, proc_) = if userns {
        (
            in_userns("unshare(CLONE_NEWUSER|CLONE_NEWNET)").unwrap_or(ok.clone()),
            in_userns("unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID)").unwrap_or_else(|| {
                if masked {
                    fail("mount proc", "EPERM")
                } else {
                    ok.clone()
                }
            }),
        )
    } else if !has_cap("cap_sys_admin") {
        (
            fail("unshare(CLONE_NEWNET)", "EPERM"),
            fail("unshare(CLONE_NEWNS|CLONE_NEWPID)", "EPERM"),
        )
    } else {
        (
            if has_cap("cap_net_admin") {
                ok.clone()
            } else {
                fail("loopback RTM_NEWADDR", "EPERM")
            },
            if masked && !initial {
                fail("mount proc", "EPERM")
            } else {
                ok.clone()
            },
        )
    };
    [
        ("experiment.userns", user),
        ("experiment.netns", net),
        ("experiment.proc_mount", proc_),
    ]
}

/// Every fixture kind records every key `bwrap-doctor snapshot` records,
/// and its experiments are those [`experiments`] derives from its other
/// facts (so a thread's facts laid over it keep the host coherent); every
/// kind a case names exists.
fn corpus_kind_fixtures_are_complete_and_consistent() {
    let mut kinds: Vec<_> = std::fs::read_dir(kinds_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    kinds.sort();
    assert!(kinds.len() >= 15, "{} fixture kinds", kinds.len());
    let mut keys: Vec<String> = bwrap_doctor_engine::probe::snapshot_keys()
        .map(str::to_string)
        .collect();
    keys.extend(
        bwrap_doctor_engine::probe::SNAPSHOT_SYSCTLS
            .iter()
            .map(|n| format!("sysctl.{n}")),
    );
    let mut bad = Vec::new();
    for path in &kinds {
        let kind = path.file_stem().unwrap().to_string_lossy().into_owned();
        let f = kind_facts(&kind);
        for k in &keys {
            if !f.contains_key(k) {
                bad.push(format!("{kind}: no {k}"));
            }
        }
        for k in f.keys() {
            if bwrap_doctor_engine::probe::lookup(k).is_none() {
                bad.push(format!("{kind}: {k} is not a fact key"));
            }
        }
        for (k, v) in experiments(&f, &[]) {
            if f.get(k) != Some(&v) {
                bad.push(format!(
                    "{kind}: {k} is {:?}, its other facts give {v}",
                    f.get(k)
                ));
            }
        }
    }
    for set in [
        "tests/corpus",
        "tests/corpus/test",
        "tests/corpus/test-b",
        "tests/corpus/test-c",
    ] {
        for case in load(set) {
            if let Some(k) = kind_of(&case)
                && !kinds_dir().join(format!("{k}.json")).exists()
            {
                bad.push(format!("{set}/{}: no fixture kind {k}", case.file));
            }
        }
    }
    assert!(bad.is_empty(), "fixture kinds:\n{}", bad.join("\n"));
}

/// Every development case (sets A and B and the corpus itself; never set
/// C), explained as people read it on the thread's facts and on a host
/// where nothing was recorded: no sentence of a rule (summary, why, fix)
/// carries a `{placeholder}` as written or a fact's state ("unavailable
/// (…)", "absent"); only the evidence lines show those. With no cause
/// confirmed, the line quoted is the one the rules matched, bwrap's, even
/// where the caller printed more lines after it (set B's 056).
fn explain_texts_of_the_development_sets_carry_no_placeholder_or_fact_state() {
    let placeholder = regex::Regex::new(r"(^|[^$])\{[A-Za-z_][A-Za-z0-9_.]*\}").unwrap();
    let dir = support::install().scratch();
    let empty = Case {
        file: "nothing-recorded.toml".into(),
        cause: String::new(),
        also: Vec::new(),
        stderr: String::new(),
        argv: Vec::new(),
        facts: toml::Table::new(),
        kind: None,
    };
    let nothing = snapshot(&empty, &dir).display().to_string();
    let mut bad = Vec::new();
    let mut texts = 0;
    for set in ["tests/corpus", "tests/corpus/test", "tests/corpus/test-b"] {
        for case in load(set) {
            let own = snapshot(&case, &dir).display().to_string();
            for snap in [&own, &nothing] {
                let mut args = vec!["explain", "--color", "never", "--snapshot", snap.as_str()];
                if !case.argv.is_empty() {
                    args.push("--");
                    args.extend(case.argv.iter().map(String::as_str));
                }
                let mut c = doctor(As::User, &args);
                let out = support::run_with_input(
                    &mut c,
                    Some(case.stderr.as_bytes()),
                    std::time::Duration::from_secs(60),
                );
                texts += 1;
                let text = out.stdout_text() + &out.stderr_text();
                for l in text.lines() {
                    let t = l.trim_start();
                    // Evidence: a check's value, or the one that ruled a cause out.
                    if ["ok ", "no ", "?? ", "- "].iter().any(|p| t.starts_with(p)) {
                        continue;
                    }
                    if placeholder.is_match(l) || l.contains("unavailable (") {
                        bad.push(format!("{set}/{} ({snap}): {l}", case.file));
                    }
                }
                let quote =
                    "no cause could be confirmed for \"capset failed: Operation not permitted\"";
                if case.file == "056-bwrap-185-lxc-capset-version.toml"
                    && snap == &own
                    && !text.contains(quote)
                {
                    bad.push(format!(
                        "{set}/{}: does not quote bwrap's line:\n{text}",
                        case.file
                    ));
                }
            }
        }
    }
    eprintln!(
        "    [figure] {texts} explain texts read, {} with a placeholder or a fact state in a sentence",
        bad.len()
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
