//! The image policy: which registries and images a pod may use.
//!
//! Every image is first parsed and normalised with [`ImageRef::parse`]; a
//! malformed reference yields a single [`ImageViolationCode::Invalid`]
//! violation. The normalised reference is then checked in this order, each
//! check adding at most one violation:
//!
//! 1. registry: denied if it matches `deniedRegistries`; otherwise, when
//!    `allowedRegistries` is not empty, it must match one of them;
//! 2. image: denied if it matches `deniedImages`; otherwise, when
//!    `allowedImages` is not empty, it must match one of them;
//! 3. `requireDigest`: the reference must carry a digest;
//! 4. `denyLatest`: the reference must not use the tag `latest` nor omit
//!    both tag and digest (see [`ImageRef::is_latest_or_untagged`]).
//!
//! Deny wins over allow: an allow match never cancels a deny match.
//!
//! # Glob patterns
//!
//! * `*` matches any run of characters except `/` (within one path segment);
//! * `**` matches any run of characters, `/` included (across segments);
//! * `?` matches exactly one character except `/`;
//! * every other character matches itself; there are no character classes
//!   or escapes (`[` and `]` are literal, as in IPv6 hosts).
//!
//! A pattern matches only the whole text, never a part of it.
//!
//! **Registry patterns** (`allowedRegistries`, `deniedRegistries`) are matched
//! against the normalised registry host, lowercase and with its port if the
//! reference has one: `docker.io`, `registry.example.com:5000`, `[::1]:5000`.
//! Patterns are lowercased as well, and one without wildcards is normalised
//! like a host in a reference (`index.docker.io` is `docker.io`). So
//! `docker.io` never matches `docker.io.evil.com`, `*.gcr.io` matches
//! `us.gcr.io` but not `gcr.io`, and `registry` does not match
//! `registry:5000` (write `registry:*` for any port). A registry pattern
//! cannot contain `/`. Registries are compared by name only: other names of
//! the same registry (Docker Hub's `registry-1.docker.io`, a pull-through
//! mirror) are other registries, so a deny list cannot stop them; restrict
//! with `allowedRegistries`.
//!
//! **Image patterns** (`allowedImages`, `deniedImages`) are matched against
//! the normalised name (`docker.io/library/nginx`), and against the name with
//! its tag (`docker.io/library/nginx:1.25`; an untagged reference without
//! digest counts as `:latest`), with its digest (`...@sha256:...`) and with
//! both. The image matches a pattern if any of these forms does. Exception:
//! for the allow-list, when a reference has both a tag and a digest, the
//! `name:tag` form is not offered, because the runtime pulls by digest and the
//! tag is only a label; `docker.io/library/nginx:1.25` then does not allow
//! `nginx:1.25@sha256:...`, while `docker.io/library/nginx:1.25@*` does. The
//! deny-list is offered every form. A pattern whose tag is only `*`
//! (`nginx:*`, `ghcr.io/org/*:*`) means the repository with any tag, so it
//! also matches a reference pinned by digest alone (`nginx@sha256:...`,
//! whose tag is unknown); `redis:7.*` does not.
//!
//! The part of an image pattern before its first `/` is matched against the
//! registry only: it is lowercased, `**` in it acts as `*`, and it cannot
//! match across the `/`, so `*.example.com/**` never matches
//! `evil.com/x.example.com/app`, and `docker.io/library/*` never matches
//! `evil.com/docker.io/library/nginx`. A pattern without wildcards is
//! normalised as a reference first, so `nginx` means
//! `docker.io/library/nginx` and `nginx:1.25` means
//! `docker.io/library/nginx:1.25`, and so is the name of a pattern whose
//! only wildcards are in its tag or digest (`nginx:*` means
//! `docker.io/library/nginx:*`); a Docker Hub pattern with wildcards and a
//! single path component gets `library/` the same way (`docker.io/busybox:*`
//! means `docker.io/library/busybox:*`; `docker.io/**` is left as it is). A
//! pattern without `/` that has wildcards
//! (such as `**` or `**:latest`) is matched against the whole text.
//!
//! [`ImagePolicy::validate`] rejects patterns that cannot do what they seem
//! to (empty, whitespace, `***`, `**` in a host, a Docker Hub style
//! `library/*` with no registry, a registry pattern with `/`, an uppercase
//! letter in a repository path, ...). Call it
//! when the policy is loaded: [`ImagePolicy::evaluate`] never fails and treats
//! such a pattern literally, which usually means it matches nothing.

use serde::{Deserialize, Serialize};

use super::reference::{canonical_registry, ImageRef, DEFAULT_TAG, DOCKER_HUB};

/// Which registries and images are acceptable. All fields are optional in
/// the configuration; an empty policy accepts every valid reference.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ImagePolicy {
    /// Registry host globs; when not empty, an image's registry must match one.
    pub allowed_registries: Vec<String>,
    /// Registry host globs that are refused.
    pub denied_registries: Vec<String>,
    /// Image globs; when not empty, an image must match one.
    pub allowed_images: Vec<String>,
    /// Image globs that are refused.
    pub denied_images: Vec<String>,
    /// Every image must be pinned by digest.
    pub require_digest: bool,
    /// Refuse the tag `latest` and references with neither tag nor digest.
    pub deny_latest: bool,
}

/// The kind of an [`ImageViolation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ImageViolationCode {
    /// The image reference is malformed.
    Invalid,
    /// The registry matches no `allowedRegistries` pattern.
    RegistryNotAllowed,
    /// The registry matches a `deniedRegistries` pattern.
    RegistryDenied,
    /// The image matches no `allowedImages` pattern.
    ImageNotAllowed,
    /// The image matches a `deniedImages` pattern.
    ImageDenied,
    /// `requireDigest` is set and the reference has no digest.
    DigestRequired,
    /// `denyLatest` is set and the reference uses `latest` or no tag.
    LatestTag,
}

impl ImageViolationCode {
    pub const ALL: [ImageViolationCode; 7] = [
        ImageViolationCode::Invalid,
        ImageViolationCode::RegistryNotAllowed,
        ImageViolationCode::RegistryDenied,
        ImageViolationCode::ImageNotAllowed,
        ImageViolationCode::ImageDenied,
        ImageViolationCode::DigestRequired,
        ImageViolationCode::LatestTag,
    ];

    /// The code with this identifier (exact, as [`as_str`](Self::as_str) writes it).
    pub fn parse(s: &str) -> Option<ImageViolationCode> {
        ImageViolationCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    /// A stable identifier for reports: `RegistryNotAllowed`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ImageViolationCode::Invalid => "Invalid",
            ImageViolationCode::RegistryNotAllowed => "RegistryNotAllowed",
            ImageViolationCode::RegistryDenied => "RegistryDenied",
            ImageViolationCode::ImageNotAllowed => "ImageNotAllowed",
            ImageViolationCode::ImageDenied => "ImageDenied",
            ImageViolationCode::DigestRequired => "DigestRequired",
            ImageViolationCode::LatestTag => "LatestTag",
        }
    }
}

/// One reason an image is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageViolation {
    pub code: ImageViolationCode,
    /// A sentence naming the normalised image (or the raw input if invalid).
    pub message: String,
}

impl ImagePolicy {
    /// True when the policy restricts nothing.
    pub fn is_empty(&self) -> bool {
        self.allowed_registries.is_empty()
            && self.denied_registries.is_empty()
            && self.allowed_images.is_empty()
            && self.denied_images.is_empty()
            && !self.require_digest
            && !self.deny_latest
    }

    /// Checks one image reference (of any container kind) against the policy.
    /// Never panics; a malformed reference gives one `Invalid` violation.
    pub fn evaluate(&self, image: &str) -> Vec<ImageViolation> {
        let r = match ImageRef::parse(image) {
            Ok(r) => r,
            Err(e) => {
                return vec![ImageViolation {
                    code: ImageViolationCode::Invalid,
                    message: format!(
                        "image {:?} is not a valid image reference: {e}",
                        echo(image)
                    ),
                }]
            }
        };
        let shown = r.normalized();
        let mut out = Vec::new();
        let mut push = |code, message| out.push(ImageViolation { code, message });

        if let Some(p) = first_registry_match(&self.denied_registries, &r.registry) {
            push(
                ImageViolationCode::RegistryDenied,
                format!(
                    "image \"{shown}\" comes from registry \"{}\", which is denied by \
                     pattern {p:?}",
                    r.registry
                ),
            );
        } else if !self.allowed_registries.is_empty()
            && first_registry_match(&self.allowed_registries, &r.registry).is_none()
        {
            push(
                ImageViolationCode::RegistryNotAllowed,
                format!(
                    "image \"{shown}\" comes from registry \"{}\", which is not an allowed \
                     registry ({})",
                    r.registry,
                    list(&self.allowed_registries)
                ),
            );
        }

        if let Some(p) = first_image_match(&self.denied_images, &image_forms(&r, true)) {
            push(
                ImageViolationCode::ImageDenied,
                format!("image \"{shown}\" is denied by pattern {p:?}"),
            );
        } else if !self.allowed_images.is_empty()
            && first_image_match(&self.allowed_images, &image_forms(&r, false)).is_none()
        {
            push(
                ImageViolationCode::ImageNotAllowed,
                format!(
                    "image \"{shown}\" matches none of the allowed images ({})",
                    list(&self.allowed_images)
                ),
            );
        }

        if self.require_digest && r.digest.is_none() {
            push(
                ImageViolationCode::DigestRequired,
                format!("image \"{shown}\" must be pinned by digest (name@sha256:...)"),
            );
        }

        if self.deny_latest && r.is_latest_or_untagged() {
            let why = if r.tag.is_none() {
                "has no tag, which means \"latest\""
            } else {
                "uses the tag \"latest\""
            };
            push(
                ImageViolationCode::LatestTag,
                format!("image \"{shown}\" {why}; use a specific tag or a digest"),
            );
        }
        out
    }

    /// Reports every pattern that is malformed or cannot match what it seems
    /// to, one problem per line.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        for (field, patterns) in [
            ("allowedRegistries", &self.allowed_registries),
            ("deniedRegistries", &self.denied_registries),
        ] {
            for (i, p) in patterns.iter().enumerate() {
                if let Err(e) = check_registry_pattern(p) {
                    problems.push(format!("{field}[{i}] {:?}: {e}", echo(p)));
                }
            }
        }
        for (field, patterns) in [
            ("allowedImages", &self.allowed_images),
            ("deniedImages", &self.denied_images),
        ] {
            for (i, p) in patterns.iter().enumerate() {
                if let Err(e) = check_image_pattern(p) {
                    problems.push(format!("{field}[{i}] {:?}: {e}", echo(p)));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

/// At most 120 characters of `s`, for messages.
fn echo(s: &str) -> String {
    match s.char_indices().nth(120) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

fn list(patterns: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = patterns
        .iter()
        .take(SHOWN)
        .map(|p| format!("{:?}", echo(p)))
        .collect::<Vec<_>>()
        .join(", ");
    if patterns.len() > SHOWN {
        s.push_str(&format!(" and {} more", patterns.len() - SHOWN));
    }
    s
}

/// The texts an image pattern is matched against (see the module docs).
fn image_forms(r: &ImageRef, for_deny: bool) -> Vec<String> {
    let name = r.name();
    let mut forms = vec![name.clone()];
    match (&r.tag, &r.digest) {
        // Not `normalized()`: it spells a one-label host in uppercase.
        (None, None) => forms.push(format!("{name}:{DEFAULT_TAG}")),
        (Some(t), None) => forms.push(format!("{name}:{t}")),
        (None, Some(d)) => forms.push(format!("{name}@{d}")),
        (Some(t), Some(d)) => {
            if for_deny {
                forms.push(format!("{name}:{t}"));
            }
            forms.push(format!("{name}@{d}"));
            forms.push(format!("{name}:{t}@{d}"));
        }
    }
    forms
}

fn first_registry_match<'a>(patterns: &'a [String], registry: &str) -> Option<&'a str> {
    patterns
        .iter()
        .find(|p| Glob::registry(p).matches(registry))
        .map(String::as_str)
}

/// Whether `image` matches one of `patterns` as `allowedImages` entries
/// would (see the module docs): matched against the normalised reference,
/// a pattern's registry part only against the registry. An invalid
/// reference matches nothing. Exceptions' `images` selectors use it, so
/// that a pattern for trusted images cannot be met by an image from
/// another registry (`docker.io/library/nginx*` is not `nginx.evil.com/x`).
pub fn matches_image_pattern(patterns: &[String], image: &str) -> bool {
    ImageRef::parse(image)
        .is_ok_and(|r| first_image_match(patterns, &image_forms(&r, false)).is_some())
}

/// `forms[0]` is the bare name (see [`image_forms`]).
fn first_image_match<'a>(patterns: &'a [String], forms: &[String]) -> Option<&'a str> {
    patterns
        .iter()
        .find(|p| {
            let g = Glob::image(p);
            forms.iter().any(|f| g.matches(f))
                || any_tag_repository(p)
                    .is_some_and(|repo| forms.first().is_some_and(|n| Glob::image(repo).matches(n)))
        })
        .map(String::as_str)
}

/// The repository part of a pattern whose tag is just `*` (`busybox:*`,
/// `ghcr.io/org/*:*`): such a pattern means the repository whatever its
/// tag, so it also matches a reference pinned by digest alone, whose tag is
/// unknown (`busybox@sha256:...` must not escape `deniedImages:
/// ["busybox:*"]`). Patterns with more in the tag (`redis:7.*`) do not.
fn any_tag_repository(p: &str) -> Option<&str> {
    let repo = p.strip_suffix(":*")?;
    let last = repo.rsplit('/').next().unwrap_or(repo);
    (!repo.is_empty() && !last.contains([':', '@'])).then_some(repo)
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// A registry pattern in the form it is matched in.
fn canonical_registry_pattern(p: &str) -> String {
    if has_wildcard(p) {
        p.to_ascii_lowercase()
    } else {
        canonical_registry(p).unwrap_or_else(|| p.to_ascii_lowercase())
    }
}

/// An image pattern in the form it is matched in.
fn canonical_image_pattern(p: &str) -> String {
    if !has_wildcard(p) {
        if let Ok(r) = ImageRef::parse(p) {
            let mut s = r.name();
            if let Some(t) = &r.tag {
                s.push(':');
                s.push_str(t);
            }
            if let Some(d) = &r.digest {
                s.push('@');
                s.push_str(d);
            }
            return s;
        }
        return p.to_owned();
    }
    match p.split_once('/') {
        Some((host, rest)) => {
            let host = canonical_registry_pattern(host);
            // Docker Hub names always have a namespace, so one path component
            // means an official image, as in a reference: `docker.io/busybox:*`
            // is `docker.io/library/busybox:*` (without `library/` it could
            // match nothing at all).
            if host == DOCKER_HUB && !rest.contains('/') && !rest.contains("**") {
                format!("{host}/library/{rest}")
            } else {
                format!("{host}/{rest}")
            }
        }
        None => match short_name_pattern(p) {
            Some((name, suffix)) => format!("{name}{suffix}"),
            None => p.to_owned(),
        },
    }
}

/// A pattern without `/` whose wildcards are all in its tag or digest
/// (`nginx:*`, `nginx:1.*`, `nginx@*`): the name is a Docker Hub short name,
/// normalised as in a reference (`docker.io/library/nginx`), followed by
/// the rest of the pattern.
fn short_name_pattern(p: &str) -> Option<(String, &str)> {
    let at = p.find([':', '@'])?;
    let (name, suffix) = p.split_at(at);
    if has_wildcard(name) || !has_wildcard(suffix) {
        return None;
    }
    let r = ImageRef::parse(name).ok()?;
    Some((r.name(), suffix))
}

fn check_common(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Err("empty pattern".into());
    }
    if p.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace or a control character".into());
    }
    if !p.is_ascii() {
        return Err("contains a non-ASCII character, which no image reference has".into());
    }
    if p.contains("***") {
        return Err("`***` is not a wildcard: use `*` (one segment) or `**` (any depth)".into());
    }
    Ok(())
}

/// Whether a registry pattern's characters can all occur in a registry host.
fn check_host_glob(host: &str) -> Result<(), String> {
    if host.contains("**") {
        return Err("`**` cannot be used in a registry host: use `*`".into());
    }
    if has_wildcard(host) {
        let ok = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]*?".contains(&b));
        if !ok {
            return Err(
                "registry hosts contain only letters, digits, '-', '.', ':', '[' and ']'".into(),
            );
        }
    } else if canonical_registry(host).is_none() {
        return Err("not a valid registry host (host name, IPv4 or [IPv6], optional :port)".into());
    }
    Ok(())
}

fn check_registry_pattern(p: &str) -> Result<(), String> {
    check_common(p)?;
    if p.contains('/') {
        return Err(
            "a registry pattern is a host with an optional port, without '/' (use allowedImages \
             or deniedImages for repositories)"
                .into(),
        );
    }
    check_host_glob(p)
}

/// Whether an image pattern can do what it seems to (see [`ImagePolicy::validate`]);
/// also used for exceptions' `images`.
pub(crate) fn check_image_pattern(p: &str) -> Result<(), String> {
    check_common(p)?;
    if !has_wildcard(p) {
        return ImageRef::parse(p)
            .map(|_| ())
            .map_err(|e| format!("not a valid image reference: {e}"));
    }
    let Some((host, rest)) = p.split_once('/') else {
        if p.contains("**") || short_name_pattern(p).is_some() {
            return Ok(());
        }
        return Err(
            "a pattern without '/' must use `**` to match whole references (e.g. `**:latest`); \
             to match repositories start with a registry, e.g. `docker.io/library/*`"
                .into(),
        );
    };
    let looks_like_host = host == "localhost"
        || host.contains(['.', ':', '['])
        || has_wildcard(host)
        || host.bytes().any(|b| b.is_ascii_uppercase());
    if !looks_like_host {
        return Err(format!(
            "image patterns are matched against normalised names that start with a registry: \
             write `docker.io/{p}` for Docker Hub"
        ));
    }
    check_host_glob(host)?;
    check_repository_case(rest)
}

/// Repository paths are lowercase, so an uppercase letter that can only be
/// compared with the path makes a pattern match nothing. Tags and digests
/// hold no `/`: everything before the last `/` of the pattern is path, and
/// so is the start of its last component, up to a wildcard, `:` or `@`.
fn check_repository_case(rest: &str) -> Result<(), String> {
    let (dirs, last) = rest.rsplit_once('/').unwrap_or(("", rest));
    let last_path = last.split(['*', '?', ':', '@']).next().unwrap_or("");
    if dirs
        .bytes()
        .chain(last_path.bytes())
        .any(|b| b.is_ascii_uppercase())
    {
        return Err(
            "repository names are lowercase, so this pattern matches nothing: write the \
             repository in lowercase (tags may have uppercase letters)"
                .into(),
        );
    }
    Ok(())
}

/// One element of a compiled glob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Lit(u8),
    /// `*`: any run without `/`.
    Star,
    /// `**`: any run.
    DeepStar,
    /// `?`: one character other than `/`.
    One,
}

/// A compiled glob (see the module docs), matched on bytes in O(pattern × text).
#[derive(Clone, Debug)]
struct Glob(Vec<Tok>);

impl Glob {
    fn registry(p: &str) -> Glob {
        Glob::compile(&canonical_registry_pattern(p), usize::MAX)
    }

    fn image(p: &str) -> Glob {
        let c = canonical_image_pattern(p);
        // `**` acts as `*` before the first '/', which is the registry.
        let host_end = c.find('/').unwrap_or(0);
        Glob::compile(&c, host_end)
    }

    /// Compiles `p`; a `**` starting before byte `shallow_until` is a `*`.
    fn compile(p: &str, shallow_until: usize) -> Glob {
        let b = p.as_bytes();
        let mut toks = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'*' => {
                    let start = i;
                    while i < b.len() && b[i] == b'*' {
                        i += 1;
                    }
                    let deep = i - start >= 2 && start >= shallow_until;
                    toks.push(if deep { Tok::DeepStar } else { Tok::Star });
                    continue;
                }
                b'?' => toks.push(Tok::One),
                c => toks.push(Tok::Lit(c)),
            }
            i += 1;
        }
        Glob(toks)
    }

    fn matches(&self, text: &str) -> bool {
        let s = text.as_bytes();
        // row[j]: the tokens so far match s[..j].
        let mut row = vec![false; s.len() + 1];
        row[0] = true;
        let mut next = vec![false; s.len() + 1];
        for tok in &self.0 {
            match *tok {
                Tok::Lit(c) => {
                    next[0] = false;
                    for j in 0..s.len() {
                        next[j + 1] = row[j] && s[j] == c;
                    }
                }
                Tok::One => {
                    next[0] = false;
                    for j in 0..s.len() {
                        next[j + 1] = row[j] && s[j] != b'/';
                    }
                }
                Tok::Star => {
                    next[0] = row[0];
                    for j in 0..s.len() {
                        next[j + 1] = row[j + 1] || (next[j] && s[j] != b'/');
                    }
                }
                Tok::DeepStar => {
                    next[0] = row[0];
                    for j in 0..s.len() {
                        next[j + 1] = row[j + 1] || next[j];
                    }
                }
            }
            std::mem::swap(&mut row, &mut next);
            if !row.iter().any(|&m| m) {
                return false;
            }
        }
        row[s.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H64: &str = "7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa";

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn codes(policy: &ImagePolicy, image: &str) -> Vec<ImageViolationCode> {
        policy.evaluate(image).into_iter().map(|v| v.code).collect()
    }

    fn allow_registries(r: &[&str]) -> ImagePolicy {
        ImagePolicy {
            allowed_registries: v(r),
            ..Default::default()
        }
    }

    use ImageViolationCode::*;

    #[test]
    fn glob_semantics() {
        let g = |p: &str, t: &str| Glob::compile(p, 0).matches(t);
        assert!(g("a/*/c", "a/b/c"));
        assert!(!g("a/*/c", "a/b/x/c"));
        assert!(g("a/**/c", "a/b/x/c"));
        assert!(g("a/**", "a/b/x/c"));
        assert!(!g("a/**", "a"));
        assert!(g("a*", "a"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "a/c"));
        assert!(!g("a?c", "ac"));
        assert!(g("*", "abc"));
        assert!(!g("*", "a/b"));
        assert!(g("**", "a/b"));
        assert!(g("", ""));
        assert!(!g("", "a"));
        assert!(!g("abc", "abcd"));
        assert!(!g("abc", "xabc"));
        assert!(g("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!g("*a*b*c*", "xxaxxcxxbxx"));
        // Pathological patterns stay linear per token.
        let text = "a".repeat(2000);
        assert!(!g(&format!("{}b", "*a".repeat(50)), &text));
        // `**` before the shallow limit behaves as `*`.
        assert!(!Glob::compile("**.x/y", 4).matches("a/b.x/y"));
        assert!(Glob::compile("**.x/y", 4).matches("ab.x/y"));
    }

    #[test]
    fn empty_policy_accepts_valid_images() {
        let p = ImagePolicy::default();
        assert!(p.is_empty());
        assert!(p.validate().is_ok());
        for image in ["nginx", "ghcr.io/acme/app:v1", "[::1]:5000/app"] {
            assert!(p.evaluate(image).is_empty(), "{image}");
        }
        let p = ImagePolicy {
            deny_latest: true,
            ..Default::default()
        };
        assert!(!p.is_empty());
    }

    #[test]
    fn malformed_reference_gives_one_invalid_violation() {
        let p = ImagePolicy {
            allowed_registries: v(&["ghcr.io"]),
            denied_images: v(&["**"]),
            require_digest: true,
            deny_latest: true,
            ..Default::default()
        };
        for image in [
            "",
            " ",
            "Nginx",
            "nginx:",
            ":tag",
            "nginx@sha256:abc",
            "a//b",
            "\u{0}",
        ] {
            let out = p.evaluate(image);
            assert_eq!(out.len(), 1, "{image:?}: {out:?}");
            assert_eq!(out[0].code, Invalid);
            assert!(
                out[0].message.contains("not a valid image reference"),
                "{}",
                out[0].message
            );
        }
        let huge = "A".repeat(100_000);
        let out = p.evaluate(&huge);
        assert_eq!(out.len(), 1);
        assert!(out[0].message.len() < 600);
    }

    #[test]
    fn registry_allow_list() {
        let p = allow_registries(&["docker.io", "ghcr.io", "registry.example.com:5000"]);
        assert!(p.validate().is_ok());
        assert!(codes(&p, "nginx").is_empty());
        assert!(codes(&p, "docker.io/library/nginx").is_empty());
        assert!(codes(&p, "index.docker.io/library/nginx").is_empty());
        assert!(codes(&p, "acme/app:v1").is_empty());
        assert!(codes(&p, "ghcr.io/acme/app:v1").is_empty());
        assert!(codes(&p, "registry.example.com:5000/team/app").is_empty());
        // Port is part of the host.
        assert_eq!(
            codes(&p, "registry.example.com/team/app"),
            [RegistryNotAllowed]
        );
        assert_eq!(
            codes(&p, "registry.example.com:5001/team/app"),
            [RegistryNotAllowed]
        );
        assert_eq!(codes(&p, "ghcr.io:443/acme/app"), [RegistryNotAllowed]);
        assert_eq!(codes(&p, "quay.io/acme/app"), [RegistryNotAllowed]);
        let msg = &p.evaluate("quay.io/acme/app")[0].message;
        assert!(msg.contains("quay.io/acme/app:latest"), "{msg}");
        assert!(msg.contains("\"quay.io\""), "{msg}");
    }

    #[test]
    fn look_alike_hosts() {
        let p = allow_registries(&["docker.io"]);
        assert_eq!(
            codes(&p, "docker.io.evil.com/library/nginx"),
            [RegistryNotAllowed]
        );
        assert_eq!(
            codes(&p, "evil.com/docker.io/library/nginx"),
            [RegistryNotAllowed]
        );
        assert_eq!(
            codes(&p, "docker.io:5000/library/nginx"),
            [RegistryNotAllowed]
        );
        assert_eq!(
            codes(&p, "evildocker.io/library/nginx"),
            [RegistryNotAllowed]
        );
        assert_eq!(codes(&p, "localhost/docker.io/nginx"), [RegistryNotAllowed]);
        // Host case is normalised.
        assert!(codes(&p, "DOCKER.IO/library/nginx").is_empty());
        assert!(codes(&p, "Docker.Io/nginx").is_empty());

        let p = ImagePolicy {
            allowed_images: v(&["docker.io/library/*"]),
            ..Default::default()
        };
        assert!(codes(&p, "nginx:1.25").is_empty());
        assert!(codes(&p, "DOCKER.IO/library/nginx").is_empty());
        assert_eq!(
            codes(&p, "docker.io.evil.com/library/nginx"),
            [ImageNotAllowed]
        );
        assert_eq!(
            codes(&p, "evil.com/docker.io/library/nginx"),
            [ImageNotAllowed]
        );
        assert_eq!(codes(&p, "docker.io/library/a/b"), [ImageNotAllowed]);
        assert_eq!(codes(&p, "acme/nginx"), [ImageNotAllowed]);

        // A trusted name as a path component under another host.
        let p = ImagePolicy {
            allowed_images: v(&["*.example.com/**"]),
            ..Default::default()
        };
        assert!(codes(&p, "registry.example.com/team/app").is_empty());
        assert_eq!(codes(&p, "evil.com/x.example.com/app"), [ImageNotAllowed]);
        assert_eq!(codes(&p, "example.com/app"), [ImageNotAllowed]);
        assert_eq!(
            codes(&p, "registry.example.com.evil.com/app"),
            [ImageNotAllowed]
        );
        // Even when written with `**` in the host, which validate() rejects.
        let p = ImagePolicy {
            allowed_images: v(&["**.example.com/**"]),
            ..Default::default()
        };
        assert!(p.validate().is_err());
        assert!(codes(&p, "registry.example.com/team/app").is_empty());
        assert_eq!(codes(&p, "evil.com/x.example.com/app"), [ImageNotAllowed]);
    }

    #[test]
    fn host_case_in_deny_lists() {
        let p = ImagePolicy {
            denied_registries: v(&["docker.io"]),
            ..Default::default()
        };
        assert_eq!(codes(&p, "DOCKER.IO/library/nginx"), [RegistryDenied]);
        assert_eq!(codes(&p, "INDEX.DOCKER.IO/nginx"), [RegistryDenied]);
        assert_eq!(codes(&p, "nginx"), [RegistryDenied]);
        let p = ImagePolicy {
            denied_images: v(&["docker.io/library/nginx"]),
            ..Default::default()
        };
        assert_eq!(codes(&p, "DOCKER.IO/nginx:1.25"), [ImageDenied]);
        assert_eq!(codes(&p, "nginx"), [ImageDenied]);
        assert!(codes(&p, "nginxx").is_empty());
        // Patterns' hosts are case-insensitive too.
        let p = ImagePolicy {
            denied_registries: v(&["GHCR.IO"]),
            denied_images: v(&["Quay.IO/acme/*"]),
            ..Default::default()
        };
        assert!(p.validate().is_ok());
        assert_eq!(codes(&p, "ghcr.io/a/b"), [RegistryDenied]);
        assert_eq!(codes(&p, "quay.io/acme/b"), [ImageDenied]);
    }

    #[test]
    fn gcr_wildcards() {
        let exact = allow_registries(&["gcr.io"]);
        assert!(codes(&exact, "gcr.io/proj/app").is_empty());
        assert_eq!(codes(&exact, "us.gcr.io/proj/app"), [RegistryNotAllowed]);

        let sub = allow_registries(&["*.gcr.io"]);
        assert!(codes(&sub, "us.gcr.io/proj/app").is_empty());
        assert!(codes(&sub, "a.b.gcr.io/proj/app").is_empty());
        assert_eq!(codes(&sub, "gcr.io/proj/app"), [RegistryNotAllowed]);
        assert_eq!(
            codes(&sub, "us.gcr.io.evil.com/proj/app"),
            [RegistryNotAllowed]
        );
        assert_eq!(codes(&sub, "evilgcr.io/proj/app"), [RegistryNotAllowed]);
        assert_eq!(codes(&sub, "us.gcr.io:443/proj/app"), [RegistryNotAllowed]);

        let both = allow_registries(&["gcr.io", "*.gcr.io"]);
        assert!(codes(&both, "gcr.io/proj/app").is_empty());
        assert!(codes(&both, "eu.gcr.io/proj/app").is_empty());

        let any_port = allow_registries(&["registry:*", "localhost", "[::1]:5000"]);
        assert!(any_port.validate().is_ok());
        assert!(codes(&any_port, "registry:5000/app").is_empty());
        assert!(codes(&any_port, "localhost/app").is_empty());
        assert!(codes(&any_port, "[::1]:5000/app").is_empty());
        assert!(codes(&any_port, "[0:0:0:0:0:0:0:1]:5000/app").is_empty());
        assert_eq!(codes(&any_port, "[::1]:5001/app"), [RegistryNotAllowed]);
        assert_eq!(codes(&any_port, "[::2]:5000/app"), [RegistryNotAllowed]);
        assert_eq!(codes(&any_port, "localhost:5000/app"), [RegistryNotAllowed]);
        // Without a '/', "registry:5000" is Docker Hub's library/registry, tag 5000.
        assert_eq!(codes(&any_port, "registry:5000"), [RegistryNotAllowed]);
    }

    #[test]
    fn image_allow_list_depth() {
        let p = ImagePolicy {
            allowed_images: v(&["ghcr.io/acme/**", "docker.io/library/*"]),
            ..Default::default()
        };
        assert!(p.validate().is_ok());
        assert!(codes(&p, "ghcr.io/acme/app").is_empty());
        assert!(codes(&p, "ghcr.io/acme/team/app:v1").is_empty());
        assert!(codes(&p, &format!("ghcr.io/acme/team/app@sha256:{H64}")).is_empty());
        assert_eq!(codes(&p, "ghcr.io/acme"), [ImageNotAllowed]);
        assert_eq!(codes(&p, "ghcr.io/acmex/app"), [ImageNotAllowed]);
        assert_eq!(codes(&p, "ghcr.io/evil/acme/app"), [ImageNotAllowed]);
        assert!(codes(&p, "redis:7").is_empty());
    }

    #[test]
    fn image_patterns_with_tags_and_digests() {
        let d = format!("sha256:{H64}");
        let p = ImagePolicy {
            allowed_images: v(&["docker.io/library/nginx:1.25", "ghcr.io/acme/app:v*"]),
            ..Default::default()
        };
        assert!(codes(&p, "nginx:1.25").is_empty());
        assert_eq!(codes(&p, "nginx:1.26"), [ImageNotAllowed]);
        assert_eq!(codes(&p, "nginx"), [ImageNotAllowed]);
        assert!(codes(&p, "ghcr.io/acme/app:v2").is_empty());
        assert_eq!(codes(&p, "ghcr.io/acme/app:latest"), [ImageNotAllowed]);
        // Tag + digest: the runtime pulls by digest, so the tag does not allow it ...
        assert_eq!(codes(&p, &format!("nginx:1.25@{d}")), [ImageNotAllowed]);
        // ... unless the pattern accepts a digest too.
        let p2 = ImagePolicy {
            allowed_images: v(&["docker.io/library/nginx:1.25@*"]),
            ..Default::default()
        };
        assert!(p2.validate().is_ok());
        assert!(codes(&p2, &format!("nginx:1.25@{d}")).is_empty());
        assert_eq!(codes(&p2, "nginx:1.25"), [ImageNotAllowed]);
        // An exact digest pin.
        let p3 = ImagePolicy {
            allowed_images: vec![format!("docker.io/library/nginx@{d}")],
            ..Default::default()
        };
        assert!(p3.validate().is_ok());
        assert!(codes(&p3, &format!("nginx@{d}")).is_empty());
        assert!(codes(&p3, &format!("nginx:any@{d}")).is_empty());
        assert_eq!(codes(&p3, "nginx"), [ImageNotAllowed]);
        // Deny sees the tag even with a digest.
        let deny = ImagePolicy {
            denied_images: v(&["docker.io/library/nginx:1.25"]),
            ..Default::default()
        };
        assert_eq!(codes(&deny, &format!("nginx:1.25@{d}")), [ImageDenied]);
        assert!(codes(&deny, &format!("nginx@{d}")).is_empty());
        // Untagged counts as :latest; `**:latest` without '/' matches whole references.
        let deny = ImagePolicy {
            denied_images: v(&["**:latest"]),
            ..Default::default()
        };
        assert!(deny.validate().is_ok());
        assert_eq!(codes(&deny, "nginx"), [ImageDenied]);
        assert_eq!(codes(&deny, "ghcr.io/a/b:latest"), [ImageDenied]);
        assert!(codes(&deny, "ghcr.io/a/b:v1").is_empty());
        assert!(codes(&deny, &format!("ghcr.io/a/b@{d}")).is_empty());
    }

    #[test]
    fn plain_image_patterns_are_normalised() {
        let p = ImagePolicy {
            denied_images: v(&["nginx", "index.docker.io/acme/app:v1"]),
            ..Default::default()
        };
        assert!(p.validate().is_ok());
        assert_eq!(codes(&p, "docker.io/library/nginx:1.25"), [ImageDenied]);
        assert_eq!(codes(&p, "acme/app:v1"), [ImageDenied]);
        assert!(codes(&p, "acme/app:v2").is_empty());
        assert!(codes(&p, "ghcr.io/library/nginx").is_empty());
    }

    #[test]
    fn short_name_patterns_with_wildcards_only_in_the_tag_are_normalised() {
        let p = ImagePolicy {
            denied_images: v(&["nginx:*", "redis:7.*", "acme/app@*"]),
            ..Default::default()
        };
        // `acme/app@*` has a '/': it must still name its registry.
        assert!(p.validate().unwrap_err().contains("docker.io/acme/app@*"));
        let p = ImagePolicy {
            denied_images: v(&["nginx:*", "redis:7.*", "busybox@*"]),
            ..Default::default()
        };
        assert!(p.validate().is_ok());
        assert_eq!(codes(&p, "nginx"), [ImageDenied]); // untagged is :latest
        assert_eq!(codes(&p, "docker.io/library/nginx:1.27"), [ImageDenied]);
        assert_eq!(codes(&p, "redis:7.2"), [ImageDenied]);
        assert!(codes(&p, "redis:6.2").is_empty());
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(codes(&p, &format!("busybox@{d}")), [ImageDenied]);
        // The name is Docker Hub's, never another registry's.
        for other in [
            "nginx.evil.com/nginx:1",
            "ghcr.io/library/nginx:1",
            "acme/nginx:1",
        ] {
            assert!(codes(&p, other).is_empty(), "{other}");
        }
        // A wildcard in the name keeps the old rule: name the registry.
        assert!(check_image_pattern("ngin*:1").is_err());
    }

    /// A reference pinned by digest alone has no known tag: a pattern for
    /// "any tag" must still match it, or pinning by digest (which
    /// `requireDigest` asks for) would turn a deny into an allow.
    #[test]
    fn any_tag_patterns_match_references_pinned_by_digest_alone() {
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let deny = ImagePolicy {
            denied_images: v(&["busybox:*", "ghcr.io/evil/*:*", "redis:7.*"]),
            ..Default::default()
        };
        assert!(deny.validate().is_ok());
        for image in [
            format!("busybox@{d}"),
            format!("docker.io/library/busybox@{d}"),
            format!("busybox:1.36@{d}"),
            format!("ghcr.io/evil/tool@{d}"),
        ] {
            assert_eq!(codes(&deny, &image), [ImageDenied], "{image}");
        }
        // A specific tag pattern cannot know a digest-only reference's tag.
        assert!(codes(&deny, &format!("redis@{d}")).is_empty());
        // Still never another repository or registry.
        for image in [
            format!("busyboxx@{d}"),
            format!("evil.io/busybox@{d}"),
            format!("ghcr.io/evil/nested/tool@{d}"),
            format!("ghcr.io/good/tool@{d}"),
        ] {
            assert!(codes(&deny, &image).is_empty(), "{image}");
        }
        let allow = ImagePolicy {
            allowed_images: v(&["nginx:*", "redis:7.*"]),
            ..Default::default()
        };
        assert!(codes(&allow, &format!("nginx@{d}")).is_empty());
        assert_eq!(codes(&allow, &format!("redis@{d}")), [ImageNotAllowed]);
        assert_eq!(any_tag_repository("busybox:*"), Some("busybox"));
        assert_eq!(any_tag_repository("host:5000/app:*"), Some("host:5000/app"));
        assert_eq!(any_tag_repository("localhost:*"), Some("localhost"));
        assert_eq!(any_tag_repository("redis:7.*"), None);
        assert_eq!(any_tag_repository("app@sha256:*"), None);
        assert_eq!(any_tag_repository(":*"), None);
    }

    #[test]
    fn docker_hub_wildcard_patterns_get_the_library_prefix() {
        let p = ImagePolicy {
            denied_images: v(&["docker.io/busybox:*", "Index.Docker.IO/ngin?"]),
            ..Default::default()
        };
        assert!(p.validate().is_ok());
        assert_eq!(codes(&p, "busybox:1.36"), [ImageDenied]);
        assert_eq!(codes(&p, "docker.io/library/busybox:1.36"), [ImageDenied]);
        assert_eq!(codes(&p, "nginx"), [ImageDenied]);
        assert!(codes(&p, "acme/busybox:1.36").is_empty());
        assert!(codes(&p, "ghcr.io/busybox:1.36").is_empty());
        let p = ImagePolicy {
            allowed_images: v(&["docker.io/*", "docker.io/acme/*"]),
            ..Default::default()
        };
        assert!(codes(&p, "redis:7").is_empty());
        assert!(codes(&p, "acme/app:7").is_empty());
        assert_eq!(codes(&p, "other/app:7"), [ImageNotAllowed]);
        // `**` already crosses into the namespace.
        let p = ImagePolicy {
            allowed_images: v(&["docker.io/**"]),
            ..Default::default()
        };
        assert!(codes(&p, "other/app:7").is_empty());
        assert!(codes(&p, "redis").is_empty());
    }

    #[test]
    fn untagged_images_on_a_one_label_host_count_as_latest() {
        // `REGISTRY/app` is host "registry"; untagged means `:latest`.
        let p = ImagePolicy {
            denied_images: v(&["REGISTRY/*:latest"]),
            ..Default::default()
        };
        assert!(p.validate().is_ok());
        assert_eq!(codes(&p, "REGISTRY/app:latest"), [ImageDenied]);
        assert_eq!(codes(&p, "REGISTRY/app"), [ImageDenied]);
        assert!(codes(&p, "REGISTRY/app:v1").is_empty());
    }

    #[test]
    fn deny_wins_over_allow() {
        let p = ImagePolicy {
            allowed_registries: v(&["*.example.com", "docker.io"]),
            denied_registries: v(&["bad.example.com"]),
            allowed_images: v(&["docker.io/library/*", "*.example.com/**"]),
            denied_images: v(&["docker.io/library/nginx", "good.example.com/team/secret*"]),
            ..Default::default()
        };
        assert!(p.validate().is_ok());
        assert!(codes(&p, "redis").is_empty());
        assert!(codes(&p, "good.example.com/team/app").is_empty());
        assert_eq!(codes(&p, "bad.example.com/team/app"), [RegistryDenied]);
        assert_eq!(codes(&p, "nginx:1.25"), [ImageDenied]);
        assert_eq!(
            codes(&p, "good.example.com/team/secret-app:v1"),
            [ImageDenied]
        );
        assert_eq!(
            codes(&p, "quay.io/x/y"),
            [RegistryNotAllowed, ImageNotAllowed]
        );
        let out = p.evaluate("nginx");
        assert!(out[0].message.contains("docker.io/library/nginx:latest"));
        assert!(out[0].message.contains("\"docker.io/library/nginx\""));
    }

    #[test]
    fn require_digest() {
        let p = ImagePolicy {
            require_digest: true,
            ..Default::default()
        };
        assert!(codes(&p, &format!("nginx@sha256:{H64}")).is_empty());
        assert!(codes(&p, &format!("nginx:1.25@sha256:{H64}")).is_empty());
        assert_eq!(codes(&p, "nginx:1.25"), [DigestRequired]);
        assert_eq!(codes(&p, "nginx"), [DigestRequired]);
        assert_eq!(codes(&p, "nginx@sha256:abc"), [Invalid]);
    }

    #[test]
    fn deny_latest() {
        let p = ImagePolicy {
            deny_latest: true,
            ..Default::default()
        };
        assert_eq!(codes(&p, "nginx"), [LatestTag]);
        assert_eq!(codes(&p, "nginx:latest"), [LatestTag]);
        assert_eq!(codes(&p, "localhost:5000/app"), [LatestTag]);
        assert_eq!(
            codes(&p, &format!("nginx:latest@sha256:{H64}")),
            [LatestTag]
        );
        assert!(codes(&p, "nginx:1.25").is_empty());
        assert!(codes(&p, "nginx:LATEST").is_empty());
        assert!(codes(&p, &format!("nginx@sha256:{H64}")).is_empty());
        assert!(p.evaluate("nginx")[0].message.contains("no tag"));
        assert!(p.evaluate("nginx:latest")[0].message.contains("\"latest\""));

        let both = ImagePolicy {
            deny_latest: true,
            require_digest: true,
            ..Default::default()
        };
        assert_eq!(codes(&both, "nginx"), [DigestRequired, LatestTag]);
    }

    #[test]
    fn validate_reports_bad_patterns() {
        let bad_registries = [
            "",
            " docker.io",
            "docker.io/library",
            "**.example.com",
            "***",
            "bad_host.com",
            "-bad.com",
            "host:port",
            "h\u{e9}st.com",
            "*.ex_ample.com",
        ];
        for r in bad_registries {
            let p = allow_registries(&[r]);
            assert!(
                p.validate().is_err(),
                "registry pattern {r:?} should be rejected"
            );
        }
        let bad_images = [
            "",
            "library/*",
            "acme/**",
            "nginx*",
            "Nginx",
            "docker.io/library/",
            "**.example.com/**",
            "docker.io/***",
            "docker io/library/*",
            // Repository paths are lowercase: these could match nothing.
            "ghcr.io/EvilOrg/*",
            "ghcr.io/acme/App*",
            "docker.io/**/Foo/*",
            "Quay.io/X*",
        ];
        for i in bad_images {
            let p = ImagePolicy {
                denied_images: v(&[i]),
                ..Default::default()
            };
            assert!(
                p.validate().is_err(),
                "image pattern {i:?} should be rejected"
            );
        }
        let good = ImagePolicy {
            allowed_registries: v(&[
                "docker.io",
                "*.example.com",
                "localhost:5000",
                "[::1]",
                "r*:*",
            ]),
            denied_registries: v(&["INDEX.DOCKER.IO", "10.0.0.1:5000"]),
            allowed_images: v(&["docker.io/library/*", "ghcr.io/acme/**", "*/acme/*", "**"]),
            denied_images: v(&[
                "nginx",
                "nginx:1.25",
                "localhost/*",
                "**:latest",
                "[::1]:5000/**",
                // Uppercase where a tag can be: fine.
                "ghcr.io/acme/app:V*",
                "ghcr.io/acme/*:RC1",
                "ghcr.io/acme/a*B",
                "GHCR.IO/acme/*@sha256:*",
            ]),
            require_digest: false,
            deny_latest: false,
        };
        assert_eq!(good.validate(), Ok(()));
        let msg = ImagePolicy {
            allowed_registries: v(&["ok.io", "a/b"]),
            denied_images: v(&["library/*"]),
            ..Default::default()
        }
        .validate()
        .err()
        .unwrap_or_default();
        assert!(msg.contains("allowedRegistries[1]"), "{msg}");
        assert!(msg.contains("deniedImages[0]"), "{msg}");
        assert!(msg.contains("docker.io/library/*"), "{msg}");
        assert_eq!(msg.lines().count(), 2);
    }

    #[test]
    fn deserialises_camel_case_and_rejects_unknown_fields() {
        let p: ImagePolicy = serde_json::from_str(
            r#"{"allowedRegistries":["ghcr.io"],"denyLatest":true,"requireDigest":false}"#,
        )
        .unwrap_or_default();
        assert_eq!(p.allowed_registries, v(&["ghcr.io"]));
        assert!(p.deny_latest);
        assert!(serde_json::from_str::<ImagePolicy>(r#"{"allowRegistries":[]}"#).is_err());
        assert_eq!(
            serde_json::from_str::<ImagePolicy>("{}").ok(),
            Some(ImagePolicy::default())
        );
        let json = serde_json::to_string(&ImageViolation {
            code: LatestTag,
            message: "m".into(),
        })
        .unwrap_or_default();
        assert_eq!(json, r#"{"code":"LatestTag","message":"m"}"#);
        assert_eq!(LatestTag.as_str(), "LatestTag");
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 1000,
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            #[test]
            fn evaluate_never_panics(image in "\\PC{0,120}", pat in "[a-z.*?/:\\[\\]]{0,20}") {
                let p = ImagePolicy {
                    allowed_registries: vec![pat.clone()],
                    denied_registries: vec![pat.clone()],
                    allowed_images: vec![pat.clone()],
                    denied_images: vec![pat],
                    require_digest: true,
                    deny_latest: true,
                };
                let _ = p.validate();
                let out = p.evaluate(&image);
                if out.iter().any(|v| v.code == ImageViolationCode::Invalid) {
                    prop_assert_eq!(out.len(), 1);
                }
            }

            #[test]
            fn registry_glob_never_crosses_into_path(
                host in "[a-z]{1,8}\\.[a-z]{2,3}",
                evil in "[a-z]{1,8}\\.[a-z]{2,3}",
                path in "[a-z]{1,8}(/[a-z]{1,8}){0,2}",
            ) {
                prop_assume!(host != evil);
                let p = ImagePolicy {
                    allowed_registries: vec![host.clone(), format!("*.{host}")],
                    allowed_images: vec![format!("{host}/**"), format!("*.{host}/**")],
                    ..Default::default()
                };
                let image = format!("{evil}/{host}/{path}");
                let got: Vec<_> = p.evaluate(&image).into_iter().map(|v| v.code).collect();
                prop_assert_eq!(
                    got,
                    vec![ImageViolationCode::RegistryNotAllowed, ImageViolationCode::ImageNotAllowed]
                );
                let lookalike = format!("{host}.{evil}/{path}");
                prop_assert_eq!(p.evaluate(&lookalike).len(), 2);
                let good = format!("{host}/{path}");
                prop_assert!(p.evaluate(&good).is_empty());
            }
        }
    }
}
