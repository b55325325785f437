//! Every citation of a project document must point at something that exists (issue 14).
//!
//! The code, help texts, claim files and certificates cite the mathematical reference by
//! section number, as in `docs/math.md section 6`, `docs/math.md sections 6-7` or
//! `docs/math.md, section 7.4`, and README headings by name, as in `README, "Region proofs"`.
//! This test scans the files of [`SCANNED`] and fails, naming file and line, when a cited
//! section or heading does not exist, or when a file cites a document that is not in the
//! repository ([`MISSING`]: the reference under any other name or path).
//!
//! To make another document citable, write a [`Document`] like [`math_doc`] or [`readme`] (its
//! name as cited, the file, how its anchors are read from the file, how a citation names an
//! anchor) and a test that calls [`check_document`] on it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Files searched for citations (globs relative to the repository root).
const SCANNED: &[&str] = &[
    "src/**/*.rs",
    "tests/**/*.rs",
    "README.md",
    "docs/*.md",
    "proofs-data/**/*.toml",
    "proofs-data/**/*.json",
    "scripts/*",
    "benches/**/*",
    "snapshots/*.snap",
    ".ci/*",
];

/// Names that cite a document which does not exist, with the document to cite instead. A
/// match is case-insensitive; the replacement itself (exactly as written) is allowed. (The name
/// is spelt with `concat!` so that this file does not contain it.)
const MISSING: &[(&str, &str)] = &[(concat!("math", ".md"), "docs/math.md")];

/// A document that files may cite.
struct Document {
    /// The name as a citation writes it.
    name: &'static str,
    /// The file, relative to the repository root.
    path: &'static str,
    /// The anchors (section numbers, headings) the document defines, read from its text.
    anchors: fn(&str) -> BTreeSet<String>,
    /// Reads the text right after an occurrence of `name`: `Ok(None)` when it is a mention
    /// without an anchor, `Ok(Some(anchors))` for a citation, `Err(why)` when it looks like a
    /// citation but names no valid anchor.
    cited: fn(&str) -> Result<Option<Vec<String>>, String>,
    /// How an anchor is shown in messages.
    show: fn(&str) -> String,
}

fn math_doc() -> Document {
    Document {
        name: "docs/math.md",
        path: "docs/math.md",
        anchors: numbered_sections,
        cited: section_citation,
        show: |a| format!("section {a} (a `## {a}.` or `### {a}` heading)"),
    }
}

fn readme() -> Document {
    Document {
        name: "README",
        path: "README.md",
        anchors: headings,
        cited: quoted_heading_citation,
        show: |a| format!("heading \"{a}\""),
    }
}

/// One problem found by a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    file: String,
    line: usize,
    message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte].matches('\n').count() + 1
}

/// The lines of `text` outside fenced code blocks (```), so that `# comment` lines in shell
/// examples are not taken for headings.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push(line);
        }
    }
    out
}

/// `## N. Title` gives anchor `N`; `### N.M Title` gives `N.M`.
fn numbered_sections(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in prose_lines(text) {
        if let Some(rest) = line.strip_prefix("## ") {
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            if !digits.is_empty() && rest[digits.len()..].starts_with('.') {
                out.insert(digits);
            }
        } else if let Some(rest) = line.strip_prefix("### ") {
            let (number, tail) = leading_number(rest);
            if number.contains('.') && (tail.is_empty() || tail.starts_with(' ')) {
                out.insert(number.to_string());
            }
        }
    }
    out
}

/// Every Markdown heading's text, outside code blocks, and every paragraph label: a paragraph
/// that opens with a short capitalised label and a colon, like `Decision rules (C1/C1r): ...`
/// or `**Adding a claim**: ...`, can be cited by that label.
fn headings(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut after_blank = true;
    for line in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            out.insert(line[hashes..].trim().to_string());
        } else if after_blank {
            let label = line
                .find(": ")
                .map(|i| &line[..i])
                .or(line.strip_suffix(':'));
            if let Some(label) = label.map(|l| l.trim_matches('*')) {
                let short = (1..=60).contains(&label.len()) && !label.contains(['`', '*', '.']);
                if short && label.starts_with(|c: char| c.is_ascii_uppercase()) {
                    out.insert(label.to_string());
                }
            }
        }
        after_blank = line.trim().is_empty();
    }
    out
}

/// `N` or `N.M` at the start of `s` (a trailing `.` not followed by a digit is punctuation).
fn leading_number(s: &str) -> (&str, &str) {
    let int = s.bytes().take_while(u8::is_ascii_digit).count();
    if int == 0 {
        return ("", s);
    }
    let rest = &s[int..];
    let frac = rest
        .strip_prefix('.')
        .map_or(0, |r| r.bytes().take_while(u8::is_ascii_digit).count());
    let end = if frac > 0 { int + 1 + frac } else { int };
    (&s[..end], &s[end..])
}

/// Skips what may separate a document's name from the rest of its citation: spaces, one
/// comma, and one line break (plain, or a `\` string continuation) followed by a comment
/// leader (`//!`, `///`, `//`, `#`, `*`), so that citations may wrap inside comments.
/// Returns the rest and whether anything was skipped.
fn skip_gap(s: &str) -> (&str, bool) {
    let start = s.len();
    let mut s = s;
    let (mut comma, mut newline) = (false, false);
    loop {
        let t = s.trim_start_matches([' ', '\t']);
        if t.len() != s.len() {
            s = t;
            continue;
        }
        if !comma && s.starts_with(',') {
            comma = true;
            s = &s[1..];
            continue;
        }
        let broken = ["\\\r\n", "\\\n", "\r\n", "\n"]
            .iter()
            .find_map(|b| s.strip_prefix(b));
        if let (false, Some(rest)) = (newline, broken) {
            newline = true;
            s = rest.trim_start_matches([' ', '\t']);
            for leader in ["//!", "///", "//", "#", "*"] {
                if let Some(r) = s.strip_prefix(leader) {
                    s = r;
                    break;
                }
            }
            continue;
        }
        break;
    }
    (s, s.len() != start)
}

/// `section N`, `section N.M`, `sections N-M`, `sections N, M and P` after the name.
fn section_citation(after: &str) -> Result<Option<Vec<String>>, String> {
    let (rest, _) = skip_gap(after);
    let (plural, rest) = match (rest.strip_prefix("sections"), rest.strip_prefix("section")) {
        (Some(r), _) => (true, r),
        (None, Some(r)) => (false, r),
        _ => return Ok(None),
    };
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return Ok(None); // another word, e.g. "sectional"
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let (first, mut rest) = leading_number(rest);
    if first.is_empty() {
        return Err(format!(
            "`section{}` is not followed by a section number",
            if plural { "s" } else { "" }
        ));
    }
    let mut out = vec![first.to_string()];
    if let Some(r) = rest
        .strip_prefix('-')
        .or_else(|| rest.strip_prefix('\u{2013}'))
    {
        let (last, r) = leading_number(r);
        if !last.is_empty() {
            rest = r;
            match (first.parse::<u32>(), last.parse::<u32>()) {
                (Ok(a), Ok(b)) if a < b => out.extend((a + 1..=b).map(|n| n.to_string())),
                (Ok(_), Ok(_)) => return Err(format!("empty section range {first}-{last}")),
                _ => out.push(last.to_string()),
            }
        }
    }
    while plural {
        let next = [", ", " and ", ", and "]
            .iter()
            .filter_map(|sep| rest.strip_prefix(sep))
            .map(leading_number)
            .find(|(n, _)| !n.is_empty());
        match next {
            Some((n, r)) => {
                out.push(n.to_string());
                rest = r;
            }
            None => break,
        }
    }
    Ok(Some(out))
}

/// `README, "Region proofs"` or `README "Region proofs"` (also `README.md`): a quoted heading
/// after a gap.
fn quoted_heading_citation(after: &str) -> Result<Option<Vec<String>>, String> {
    let after = after.strip_prefix(".md").unwrap_or(after);
    if after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return Ok(None); // part of a longer word
    }
    let (rest, gap) = skip_gap(after);
    let Some(quoted) = rest.strip_prefix('"').filter(|_| gap) else {
        return Ok(None);
    };
    match quoted.find(['"', '\n']) {
        Some(end) if quoted[end..].starts_with('"') && end > 0 => {
            Ok(Some(vec![quoted[..end].to_string()]))
        }
        _ => Err("an opening quote without a heading and a closing quote on the same line".into()),
    }
}

/// Citations of `doc` in `text` whose anchors are not in `anchors`, and malformed ones. Also
/// returns how many citations naming an anchor were found.
fn dangling(
    doc: &Document,
    anchors: &BTreeSet<String>,
    file: &str,
    text: &str,
) -> (Vec<Problem>, usize) {
    let mut problems = Vec::new();
    let mut found = 0;
    for (at, _) in text.match_indices(doc.name) {
        let line = line_of(text, at);
        match (doc.cited)(&text[at + doc.name.len()..]) {
            Ok(None) => {}
            Ok(Some(cited)) => {
                found += 1;
                for a in cited.iter().filter(|a| !anchors.contains(*a)) {
                    problems.push(Problem {
                        file: file.into(),
                        line,
                        message: format!(
                            "cites {} {}, which does not exist in {}",
                            doc.name,
                            (doc.show)(a),
                            doc.path
                        ),
                    });
                }
            }
            Err(why) => problems.push(Problem {
                file: file.into(),
                line,
                message: format!("malformed citation of {}: {why}", doc.name),
            }),
        }
    }
    (problems, found)
}

/// Citations of documents that are not in the repository ([`MISSING`]).
fn missing_documents(file: &str, text: &str) -> Vec<Problem> {
    let lower = text.to_ascii_lowercase();
    let mut problems = Vec::new();
    for (bad, good) in MISSING {
        for (at, _) in lower.match_indices(bad) {
            let allowed = good
                .len()
                .checked_sub(bad.len())
                .and_then(|prefix| at.checked_sub(prefix))
                .and_then(|start| text.get(start..))
                .is_some_and(|t| t.starts_with(good));
            if !allowed {
                let shown = &text[at..at + bad.len()];
                problems.push(Problem {
                    file: file.into(),
                    line: line_of(text, at),
                    message: format!(
                        "cites `{shown}`, which is not in the repository: cite `{good}` instead"
                    ),
                });
            }
        }
    }
    problems
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every scanned file (relative path, text); files that are not UTF-8 are skipped.
fn scanned_files() -> Vec<(String, String)> {
    let root = root();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for pattern in SCANNED {
        let full = root.join(pattern);
        let paths: Vec<PathBuf> = glob::glob(full.to_str().expect("UTF-8 path"))
            .expect("valid glob")
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        assert!(
            !paths.is_empty(),
            "the scan pattern `{pattern}` matches no file: fix SCANNED"
        );
        for p in paths {
            let rel = p
                .strip_prefix(&root)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            if seen.insert(rel.clone()) {
                if let Ok(text) = std::fs::read_to_string(&p) {
                    out.push((rel, text));
                }
            }
        }
    }
    out
}

fn report(what: &str, problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
    format!("{} {what}:\n{}", problems.len(), lines.join("\n"))
}

/// Scans the repository for citations of `doc`; fails with every problem, file and line.
fn check_document(doc: &Document) {
    let path = root().join(doc.path);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is cited but cannot be read: {e}", doc.path));
    let anchors = (doc.anchors)(&text);
    assert!(!anchors.is_empty(), "{} defines no anchors", doc.path);
    let mut problems = Vec::new();
    let mut found = 0;
    for (file, body) in scanned_files() {
        let (p, n) = dangling(doc, &anchors, &file, &body);
        problems.extend(p);
        found += n;
    }
    assert!(
        found > 0,
        "no citation of {} with an anchor was found: the scanner is broken",
        doc.name
    );
    assert!(
        problems.is_empty(),
        "{}",
        report(&format!("dangling citations of {}", doc.name), &problems)
    );
}

#[test]
fn every_cited_section_exists() {
    let doc = math_doc();
    let text = std::fs::read_to_string(root().join(doc.path)).expect("docs/math.md exists");
    // The sections that code and certificates cite by number must keep their numbers.
    let sections = numbered_sections(&text);
    for n in 1..=11 {
        assert!(
            sections.contains(&n.to_string()),
            "docs/math.md has no `## {n}.` heading"
        );
    }
    check_document(&doc);
}

#[test]
fn every_cited_readme_heading_exists() {
    check_document(&readme());
}

#[test]
fn no_citation_of_a_missing_document() {
    let problems: Vec<Problem> = scanned_files()
        .iter()
        .flat_map(|(file, text)| missing_documents(file, text))
        .collect();
    assert!(
        problems.is_empty(),
        "{}",
        report(
            "citations of documents that are not in the repository",
            &problems
        )
    );
}

/// The scanner itself, on small in-memory examples. The examples are written with `{DOC}`,
/// `{BARE}` and `{bare}` placeholders so that this file does not itself contain the bad
/// citations that the repository-wide scan above would report.
#[test]
fn scanner_accepts_good_citations_and_rejects_dangling_and_bare_ones() {
    let doc = math_doc();
    let bare = ["MATH", ".md"].concat();
    let fill = |s: &str| {
        s.replace("{DOC}", doc.name)
            .replace("{BARE}", &bare)
            .replace("{bare}", &bare.to_lowercase())
    };
    let document = fill(
        "# title\n\n## 1. The model\n\n### 1.2 A subsection\n\n## 2. Two\n\n## 3. Claim A\n\n```\n## 9. in code\n```\n",
    );
    let anchors = numbered_sections(&document);
    assert_eq!(
        anchors,
        ["1", "1.2", "2", "3"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );

    let scan = |text: &str| dangling(&doc, &anchors, "x.rs", &fill(text));
    // Good citations, in the forms the code uses; one wrapped inside a doc comment.
    for good in [
        "see {DOC} section 1.",
        "({DOC}, section 3)",
        "//! the model of {DOC}\n//! sections 1-3 is",
        "{DOC} section 1.2: the subsection",
        "{DOC} sections 1 and 3",
        "\"a string naming {DOC} \\\n    section 3 (continued)\"",
        "a link to [{DOC}]({DOC}) without a section",
    ] {
        let (problems, _) = scan(good);
        assert!(problems.is_empty(), "{good:?}: {problems:?}");
    }
    let (_, found) = scan("{DOC} section 1, {DOC} sections 1-3, {DOC}");
    assert_eq!(found, 2, "two citations name a section, the third does not");

    // Dangling and malformed citations, each reported with its line.
    for (bad, line, needle) in [
        ("line one\n{DOC} section 5", 2, "section 5 "),
        ("{DOC} sections 2-4", 1, "section 4 "),
        ("{DOC} section 9", 1, "section 9 "), // only inside a code block of the document
        ("{DOC} section 3.1", 1, "section 3.1 "),
        ("{DOC} section six", 1, "not followed by a section number"),
        ("{DOC} sections 3-1", 1, "empty section range"),
    ] {
        let (problems, _) = scan(bad);
        assert_eq!(problems.len(), 1, "{bad:?}: {problems:?}");
        assert_eq!(problems[0].line, line, "{bad:?}");
        assert!(
            problems[0].message.contains(needle),
            "{bad:?}: {}",
            problems[0].message
        );
        assert!(problems[0]
            .to_string()
            .starts_with(&format!("x.rs:{line}: ")));
    }

    // Citations of a document that is not in the repository.
    assert!(missing_documents("x.rs", &fill("see {DOC} section 1")).is_empty());
    let problems = missing_documents(
        "x.toml",
        &fill("# ok {DOC}\n# {BARE} section 6\n# docs/{BARE} too\n# and {bare}"),
    );
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 3, 4], "{problems:?}");
    assert!(problems[0].message.contains("cite `docs/math.md` instead"));

    // Another kind of document: README headings cited by name.
    let readme = readme();
    let text = "# hadacert\n\n## Region proofs\n\n```sh\n# not a heading\n```\n\n\
                Decision rules (C1/C1r): a labelled paragraph.\nNot a label: mid-paragraph.\n\n\
                **Adding a claim**: bold label.\n\nsee `x`: not a label\n";
    let heads = headings(text);
    assert_eq!(
        heads,
        [
            "hadacert",
            "Region proofs",
            "Decision rules (C1/C1r)",
            "Adding a claim"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );
    let scan = |t: &str| dangling(&readme, &heads, "y.toml", t).0;
    assert!(scan("(README, \"Region proofs\") and the README.md file").is_empty());
    assert!(scan("read_to_string(\"README.md\"), \"other\"").is_empty());
    let p = scan("# see README \"not a heading\"");
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message.contains("heading \"not a heading\""), "{p:?}");
}

#[test]
fn every_scan_pattern_matches_a_file() {
    // scanned_files asserts this; a typo in SCANNED would otherwise make every scan vacuous.
    let files = scanned_files();
    for must in ["README.md", "docs/math.md", "src/lib.rs"] {
        assert!(
            files.iter().any(|(f, _)| Path::new(f) == Path::new(must)),
            "{must} is not scanned"
        );
    }
}
