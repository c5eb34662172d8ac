//! One direction of travel: no cycle between the top-level modules of
//! either crate (the engine, `engine/src`; the binary's shim and command
//! line, `src`). The layering each crate's top module documents
//! (`engine/src/lib.rs`, `src/lib.rs`) stays true only if this holds.
//!
//! The graph is read from the sources: a module uses another when its
//! files name `crate::other…` (also inside `use crate::{a, b::c}` groups,
//! and through `super::` chains that reach the crate root, and through a
//! name the crate root re-exports, `crate::Cause` for `cause::Cause`),
//! comments and string literals left out. `#[cfg(test)]` modules are left out too: a
//! unit test may reach across layers to build its fixtures.

use crate::{Body, Test};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub fn tests() -> Vec<Test> {
    let mut v = tests![
        Once no_cycle_between_the_engines_modules,
        Once no_cycle_between_the_binarys_modules,
        Once the_cycle_finder_names_a_cycle_and_passes_a_layering,
        Once the_reader_sees_crate_paths_and_groups_but_not_comments_strings_or_unit_tests,
        Once a_name_the_crate_root_re_exports_counts_as_a_use_of_its_module,
    ];
    for t in &mut v {
        t.name = format!("architecture::{}", t.name);
    }
    v
}

fn no_cycle_between_the_engines_modules() {
    assert_acyclic(&Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/src"));
}

fn no_cycle_between_the_binarys_modules() {
    assert_acyclic(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

/// A cycle finder that finds nothing always passes: on a graph with a
/// cycle it names it (and only it), on a layering it finds none.
fn the_cycle_finder_names_a_cycle_and_passes_a_layering() {
    let graph = |edges: &[(&str, &str)]| -> Graph {
        let mut g = Graph::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    let layered = graph(&[("api", "diagnose"), ("diagnose", "rules"), ("api", "rules")]);
    assert_eq!(cycles(&layered), Vec::new());
    let tangled = graph(&[
        ("api", "diagnose"),
        ("diagnose", "rules"),
        ("rules", "probe"),
        ("probe", "diagnose"),
        ("probe", "facts"),
    ]);
    let names = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        cycles(&tangled),
        vec![Tangle {
            members: names(&["diagnose", "probe", "rules"]),
            cycle: names(&["diagnose", "rules", "probe"]),
        }]
    );
}

fn the_reader_sees_crate_paths_and_groups_but_not_comments_strings_or_unit_tests() {
    let src = r##"
//! Uses [`crate::doc`] only in a comment.
use crate::{alpha, beta::Thing, gamma::{self, x}};
use crate::delta::Delta; /* crate::block /* nested */ crate::block2 */
fn f<'a>(x: &'a str) -> char {
    let _ = "crate::in_string \" crate::still_string";
    let _ = r#"crate::raw "string""#;
    let _ = crate::epsilon::call('"');
    let _ = super::super::zeta::Z;
    '\''
}
#[cfg(test)]
mod tests {
    use crate::only_in_tests;
    fn g() { let _ = { crate::nested_in_tests }; }
}
fn after() { crate::eta::go() }
"##;
    // As if in `top/sub.rs`: two `super`s reach the crate root.
    let used: BTreeSet<String> = uses(src, 2).into_iter().map(|(m, _)| m).collect();
    let want: BTreeSet<String> = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(used, want);
    // Line numbers survive the stripping.
    let lines: Vec<usize> = uses(src, 2).into_iter().map(|(_, l)| l).collect();
    assert!(lines.contains(&17), "{lines:?}");
}

/// A module that names a re-export of the crate root (`crate::CheckReport`)
/// uses the module it comes from (`check`): such a use would otherwise be
/// invisible to the graph and could hide a cycle.
fn a_name_the_crate_root_re_exports_counts_as_a_use_of_its_module() {
    let lib = r#"
//! pub use nothing::Here;
mod api;
pub use api::{Error, Host as Place, check};
pub use check::model::{Check as HostCheck, Report as CheckReport};
pub(crate) use facts::{Obs, nested::{Deep, Deeper as D}};
pub use cause::Cause;
"#;
    let got = re_exports(lib);
    let want: BTreeMap<String, String> = [
        ("Error", "api"),
        ("Place", "api"),
        ("check", "api"),
        ("HostCheck", "check"),
        ("CheckReport", "check"),
        ("Obs", "facts"),
        ("Deep", "facts"),
        ("D", "facts"),
        ("Cause", "cause"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
    // The engine's own root: its output types come from their modules.
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("engine/src");
    let lib = std::fs::read_to_string(engine.join("lib.rs")).unwrap();
    assert_eq!(
        re_exports(&lib).get("CheckReport").map(String::as_str),
        Some("check")
    );
    // …and a use of one is an edge of the graph: here, a cycle.
    let dir = std::env::temp_dir().join(format!("bwd-architecture-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("low")).unwrap();
    let files = [
        ("lib.rs", "mod high;\nmod low;\npub use high::Report;\n"),
        ("high.rs", "use crate::low::probe;\npub struct Report;\n"),
        (
            "low/mod.rs",
            "pub fn probe() {}\nfn f(_: &crate::Report) {}\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let (graph, places) = module_graph(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(graph["low"].contains("high"), "{graph:?}");
    assert_eq!(places[&("low".into(), "high".into())], ["low/mod.rs:2"]);
    assert_eq!(cycles(&graph).len(), 1, "{graph:?}");
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The names the crate root (`lib.rs`) re-exports with `use`, each with
/// the top-level module it comes from.
fn re_exports(lib: &str) -> BTreeMap<String, String> {
    let code = without_unit_tests(&code_only(lib));
    let mut out = BTreeMap::new();
    for stmt in code.split(';') {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "use") else {
            continue;
        };
        let path: String = words[at + 1..].join(" ");
        let Some((module, rest)) = path.split_once("::") else {
            continue;
        };
        if matches!(
            module,
            "std" | "core" | "alloc" | "crate" | "self" | "super"
        ) {
            continue;
        }
        // `a::{B, c::{D as E}}` → the last name of each leaf: B, E.
        let mut leaves = String::new();
        for part in rest.split(',') {
            let part = part.replace(['{', '}'], " ");
            let leaf = part.rsplit("::").next().unwrap_or_default();
            if let Some(name) = leaf.split_whitespace().last() {
                leaves.push_str(name);
                leaves.push(' ');
            }
        }
        for name in leaves.split_whitespace().filter(|n| *n != "self") {
            out.insert(name.to_string(), module.trim().to_string());
        }
    }
    out
}

/// Panics naming every cycle, with where each of its edges is written.
fn assert_acyclic(root: &Path) {
    let (graph, places) = module_graph(root);
    assert!(
        graph.len() > 5,
        "read only {} modules under {}",
        graph.len(),
        root.display()
    );
    let found = cycles(&graph);
    if found.is_empty() {
        return;
    }
    let mut msg = format!("cycles between the modules of {}:\n", root.display());
    for c in &found {
        let inside: BTreeSet<&String> = c.members.iter().collect();
        let _ = writeln!(
            msg,
            "  among {{{}}}, e.g. {} -> {}",
            c.members.join(", "),
            c.cycle.join(" -> "),
            c.cycle[0]
        );
        for a in &c.members {
            for b in graph[a].iter().filter(|b| inside.contains(b)) {
                let at = &places[&(a.clone(), b.clone())];
                let _ = writeln!(msg, "    {a} -> {b}: {}", at.join(", "));
            }
        }
    }
    panic!("{msg}");
}

/// The top-level modules under `root` (files `x.rs` and directories `x/`,
/// not `lib.rs` or `main.rs`), which of them each uses, and where
/// (`file:line`) each use is written.
#[allow(clippy::type_complexity)]
fn module_graph(root: &Path) -> (Graph, BTreeMap<(String, String), Vec<String>>) {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let top = |f: &Path| -> Option<String> {
        let first = f.strip_prefix(root).ok()?.components().next()?;
        let name = first
            .as_os_str()
            .to_str()?
            .trim_end_matches(".rs")
            .to_string();
        (name != "lib" && name != "main").then_some(name)
    };
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top(f)).collect();
    let lib = std::fs::read_to_string(root.join("lib.rs")).unwrap_or_default();
    let re_exported = re_exports(&lib);
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    let mut places: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for f in &files {
        let Some(from) = top(f) else { continue };
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let rel = f.strip_prefix(root).unwrap();
        // The module's depth below the crate root: `a.rs`, `a/mod.rs` 1,
        // `a/b.rs` 2…
        let mut depth = rel.components().count();
        if rel.ends_with("mod.rs") {
            depth -= 1;
        }
        for (to, line) in uses(&text, depth) {
            // A module's own name is never a re-export (`crate::check` is
            // the module even if the root re-exports a fn `check`).
            let to = match re_exported.get(&to) {
                Some(module) if !modules.contains(&to) => module.clone(),
                _ => to,
            };
            if to != from && modules.contains(&to) {
                graph.get_mut(&from).unwrap().insert(to.clone());
                let at = places.entry((from.clone(), to)).or_default();
                let place = format!("{}:{line}", rel.display());
                if at.last() != Some(&place) {
                    at.push(place);
                }
            }
        }
    }
    (graph, places)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules a file's code names (with the line of each),
/// for a file `depth` modules below the crate root.
fn uses(src: &str, depth: usize) -> Vec<(String, usize)> {
    let code = without_unit_tests(&code_only(src));
    let b = code.as_bytes();
    let line_at = |i: usize| code[..i].matches('\n').count() + 1;
    let ident = |mut i: usize| -> (String, usize) {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        (code[start..i].to_string(), i)
    };
    let word_start = |i: usize| i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // The crate root: `crate::` or as many `super::` as the depth.
        let mut root_end = None;
        if word_start(i) && b[i..].starts_with(b"crate::") && (i == 0 || b[i - 1] != b'$') {
            root_end = Some(i + "crate::".len());
        } else if word_start(i) && b[i..].starts_with(b"super::") {
            let mut j = i;
            let mut n = 0;
            while b[j..].starts_with(b"super::") {
                j += "super::".len();
                n += 1;
            }
            if n == depth {
                root_end = Some(j);
            } else {
                i = j;
                continue;
            }
        }
        let Some(j) = root_end else {
            i += 1;
            continue;
        };
        if b.get(j) == Some(&b'{') {
            // A group: the first name of each element at depth 0.
            let mut k = j + 1;
            let mut level = 0;
            let mut expect_name = true;
            while k < b.len() {
                match b[k] {
                    b'{' => level += 1,
                    b'}' if level == 0 => break,
                    b'}' => level -= 1,
                    b',' if level == 0 => expect_name = true,
                    c if expect_name && (c.is_ascii_alphabetic() || c == b'_') => {
                        let (name, end) = ident(k);
                        out.push((name, line_at(k)));
                        expect_name = false;
                        k = end;
                        continue;
                    }
                    _ => {}
                }
                k += 1;
            }
            i = k;
        } else {
            let (name, end) = ident(j);
            if !name.is_empty() {
                out.push((name, line_at(j)));
            }
            i = end.max(j);
        }
    }
    out
}

/// `src` with comments, string and character literals blanked out (line
/// breaks kept, so that line numbers still hold).
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let is_ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut level = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    level += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    level -= 1;
                    out.push_str("  ");
                    i += 2;
                    if level == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (i == 0
                || !is_ident(c[i - 1])
                || (c[i - 1] == 'b' && (i < 2 || !is_ident(c[i - 2]))))
            && matches!(next, Some('"' | '#'))
            && {
                let mut j = i + 1;
                while c.get(j) == Some(&'#') {
                    j += 1;
                }
                c.get(j) == Some(&'"')
            }
        {
            // A raw string: r"…", r#"…"#…
            let mut j = i + 1;
            let mut hashes = 0;
            while c[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            while j < c.len() {
                if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                blank(&mut out, c[j]);
                j += 1;
            }
            out.push_str("r\"\"");
            i = j;
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            out.push_str("\"\"");
            i += 1;
        } else if c[i] == '\'' && next == Some('\\') {
            // A character literal with an escape: '\'', '\n', '\u{…}'.
            let mut j = i + 2;
            while j < c.len() && c[j] != '\'' {
                j += 1;
            }
            if j == i + 2 {
                j += 1;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
            }
            out.push_str("' '");
            i = j + 1;
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// `code` (already without comments and strings) without the items marked
/// `#[cfg(test)]`: a `mod name { … }` block, or the next item up to its
/// `;` or its closing brace. Line breaks are kept.
fn without_unit_tests(code: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let mut end = item.len();
        let mut level = 0;
        for (k, ch) in item.char_indices().skip(MARK.len()) {
            match ch {
                '{' => level += 1,
                '}' => {
                    level -= 1;
                    if level == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if level == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        out.extend(item[..end].chars().filter(|&ch| ch == '\n'));
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Modules that reach each other (a strongly connected component of more
/// than one module), by name, and a shortest way round from the first.
#[derive(Debug, PartialEq)]
struct Tangle {
    members: Vec<String>,
    cycle: Vec<String>,
}

/// Every tangle of `graph`: none for a layering.
fn cycles(graph: &Graph) -> Vec<Tangle> {
    // Tarjan's strongly connected components.
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        components: Vec<Vec<&'g str>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut c = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                c.push(w);
                if w == v {
                    break;
                }
            }
            s.components.push(c);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    let mut out = Vec::new();
    for comp in s.components.into_iter().filter(|c| c.len() > 1) {
        let inside: BTreeSet<&str> = comp.iter().copied().collect();
        let start = *inside.iter().next().unwrap();
        // Breadth first from `start` back to it, inside the component.
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut last = None;
        'search: while let Some(v) = queue.pop_front() {
            for w in &graph[v] {
                let w = w.as_str();
                if w == start {
                    last = Some(v);
                    break 'search;
                }
                if inside.contains(w) && !came_from.contains_key(w) {
                    came_from.insert(w, v);
                    queue.push_back(w);
                }
            }
        }
        let mut path = Vec::new();
        let mut v = last.expect("a component has a cycle through each member");
        while v != start {
            path.push(v.to_string());
            v = came_from[v];
        }
        path.push(start.to_string());
        path.reverse();
        out.push(Tangle {
            members: inside.iter().map(ToString::to_string).collect(),
            cycle: path,
        });
    }
    out.sort_by(|a, b| a.members.cmp(&b.members));
    out
}
