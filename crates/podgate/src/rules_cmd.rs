//! `podgate rules`: print everything podgate can report, the Pod Security
//! checks and the hardening rules, as a text table, JSON or Markdown.
//!
//! The Markdown form is checked in as `docs/rules.md` (a test fails when it
//! is stale). The per-check titles and descriptions here are also what the
//! SARIF report shows as rule metadata.

use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;

use podgate_core::pss::{self, CheckId, Level, LevelVersion, Version, MAX_KNOWN_MINOR};
use podgate_core::rules::{self, RuleInfo};

/// Output format of `podgate rules`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// Aligned table for people.
    #[default]
    Text,
    /// JSON array (one object per check or rule).
    Json,
    /// Markdown (the form checked in as docs/rules.md).
    Markdown,
}

/// The command that regenerates `docs/rules.md`.
pub const REGENERATE_DOCS: &str = "cargo run -p podgate -- rules --format markdown > docs/rules.md";

/// What a report says about a Pod Security check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckDoc {
    pub id: CheckId,
    pub level: Level,
    /// The first policy version that runs the check at its level.
    pub since: Version,
    /// Short, phrased as the passing state ("Containers are not privileged").
    pub title: &'static str,
    /// What the check forbids, which fields it reads and what they may hold.
    pub description: &'static str,
    pub fix: &'static str,
}

/// Every Pod Security check, in upstream ID order ([`CheckId::ALL`]).
pub fn checks() -> Vec<CheckDoc> {
    CheckId::ALL.into_iter().map(check_doc).collect()
}

pub fn check_doc(id: CheckId) -> CheckDoc {
    let (title, description) = check_text(id);
    CheckDoc {
        id,
        level: id.level(),
        since: since(id),
        title,
        description,
        fix: id.fix_hint(),
    }
}

/// The first minor version whose table at the check's own level holds it.
fn since(id: CheckId) -> Version {
    let reg = pss::registry();
    (0..=MAX_KNOWN_MINOR)
        .find(|&m| {
            reg.checks_for(LevelVersion::new(id.level(), Version::minor(m)))
                .any(|c| c == id)
        })
        .map_or(Version::LATEST, Version::minor)
}

fn check_text(id: CheckId) -> (&'static str, &'static str) {
    match id {
        CheckId::AllowPrivilegeEscalation => (
            "Privilege escalation is disabled",
            "Every container must set securityContext.allowPrivilegeEscalation to false, so \
             that no process can gain more privileges than its parent (setuid binaries, file \
             capabilities). From v1.25 Windows pods are exempt.",
        ),
        CheckId::AppArmorProfile => (
            "AppArmor is not disabled",
            "AppArmor profiles, in the pod and container securityContext.appArmorProfile.type \
             fields and in the legacy container.apparmor.security.beta.kubernetes.io/* \
             annotations, may be unset, RuntimeDefault or Localhost; Unconfined is forbidden.",
        ),
        CheckId::CapabilitiesBaseline => (
            "Only default capabilities are added",
            "securityContext.capabilities.add may only hold capabilities from the container \
             runtime's default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, \
             MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT).",
        ),
        CheckId::CapabilitiesRestricted => (
            "All capabilities are dropped",
            "Every container must drop ALL capabilities in securityContext.capabilities.drop \
             and may add back only NET_BIND_SERVICE. Replaces capabilities_baseline at the \
             restricted level; from v1.25 Windows pods are exempt.",
        ),
        CheckId::HostNamespaces => (
            "Host namespaces are not shared",
            "spec.hostNetwork, spec.hostPID and spec.hostIPC must be unset or false: sharing \
             the node's network, process or IPC namespace exposes the node and its other pods.",
        ),
        CheckId::HostPathVolumes => (
            "No hostPath volumes",
            "spec.volumes[*].hostPath must be unset: a hostPath volume gives the pod the \
             node's filesystem.",
        ),
        CheckId::HostPorts => (
            "No host ports",
            "ports[*].hostPort must be unset or 0 on every container: host ports bind the \
             node's network interfaces and bypass network policy.",
        ),
        CheckId::HostProbesAndHostLifecycle => (
            "Probes and lifecycle hooks target the pod",
            "The host field of httpGet and tcpSocket handlers in liveness, readiness and \
             startup probes and in postStart and preStop hooks must be empty, so that the \
             kubelet cannot be used to reach other hosts.",
        ),
        CheckId::Privileged => (
            "Containers are not privileged",
            "securityContext.privileged must be unset or false on every container: a \
             privileged container has every capability and the node's devices.",
        ),
        CheckId::ProcMount => (
            "The default /proc mount is used",
            "securityContext.procMount must be unset or Default on every container; Unmasked \
             exposes the node's /proc. From v1.35 pods in a user namespace (spec.hostUsers: \
             false) may use any value.",
        ),
        CheckId::ProcMountRestricted => (
            "The default /proc mount is used, in user namespaces too",
            "securityContext.procMount must be unset or Default on every container, whether \
             or not the pod runs in a user namespace. Replaces procMount at the restricted \
             level.",
        ),
        CheckId::RestrictedVolumes => (
            "Only core volume types are used",
            "Volumes may only be configMap, csi, downwardAPI, emptyDir, ephemeral, image, \
             persistentVolumeClaim, projected or secret. Replaces hostPathVolumes at the \
             restricted level.",
        ),
        CheckId::RunAsNonRoot => (
            "Containers run as non-root",
            "spec.securityContext.runAsNonRoot must be true, or every container must set it \
             to true, and no container may set it to false. From v1.35 pods in a user \
             namespace (spec.hostUsers: false) are exempt.",
        ),
        CheckId::RunAsUser => (
            "Containers do not run as UID 0",
            "runAsUser must be unset or non-zero, at pod level and on every container. From \
             v1.35 pods in a user namespace (spec.hostUsers: false) are exempt.",
        ),
        CheckId::SeLinuxOptions => (
            "SELinux options stay within the container types",
            "seLinuxOptions.user and .role must be empty and seLinuxOptions.type must be \
             empty, container_t, container_init_t or container_kvm_t (and from v1.31 \
             container_engine_t), at pod level and on every container.",
        ),
        CheckId::SeccompProfileBaseline => (
            "Seccomp is not disabled",
            "Seccomp profiles may be unset, RuntimeDefault or Localhost, never Unconfined \
             (before v1.19: the seccomp.security.alpha.kubernetes.io annotations may be \
             unset, runtime/default, docker/default or localhost/*).",
        ),
        CheckId::SeccompProfileRestricted => (
            "A seccomp profile is set",
            "securityContext.seccompProfile.type must be RuntimeDefault or Localhost at pod \
             level, or on every container. Replaces seccompProfile_baseline at the \
             restricted level; from v1.25 Windows pods are exempt.",
        ),
        CheckId::Sysctls => (
            "Only safe sysctls are set",
            "spec.securityContext.sysctls may only name sysctls that are namespaced and \
             isolated from the node; the safe set grows at v1.27, v1.29, v1.32 and v1.37.",
        ),
        CheckId::WindowsHostProcess => (
            "No Windows HostProcess containers",
            "windowsOptions.hostProcess must be unset or false, at pod level and on every \
             container: a HostProcess container runs directly on the Windows node.",
        ),
    }
}

/// `on` / `off`, as the tables show [`RuleInfo::default_enabled`].
fn on_off(enabled: bool) -> &'static str {
    if enabled {
        "on"
    } else {
        "off"
    }
}

pub fn run(format: RulesFormat, out: &mut impl Write) -> io::Result<()> {
    let checks = checks();
    let rules = rules::catalogue();
    match format {
        RulesFormat::Text => write_text(out, &checks, rules),
        RulesFormat::Json => write_json(out, &checks, rules),
        RulesFormat::Markdown => write_markdown(out, &checks, rules),
    }
}

// ---- text ----

/// Width the detail lines are wrapped to (fixed, so output is reproducible).
const TEXT_WIDTH: usize = 100;

fn write_text(out: &mut impl Write, checks: &[CheckDoc], rules: &[RuleInfo]) -> io::Result<()> {
    let id_w = checks
        .iter()
        .map(|c| c.id.as_str().len())
        .chain(rules.iter().map(|r| r.id.len()))
        .chain(["CHECK".len()])
        .max()
        .unwrap_or(0);
    // Both tables share the first two column widths, so they line up.
    let second_w = "restricted".len();
    let third_w = "DEFAULT".len();

    writeln!(
        out,
        "Pod Security Standards checks ({}): podgate scan --level, or the namespace's pod-security labels",
        checks.len()
    )?;
    writeln!(out)?;
    row(
        out,
        &[("CHECK", id_w), ("LEVEL", second_w), ("SINCE", third_w)],
        "TITLE",
    )?;
    // Details go under the ID, indented, so they get most of the width.
    let indent = 6;
    for c in checks {
        let since = c.since.to_string();
        row(
            out,
            &[
                (c.id.as_str(), id_w),
                (c.level.as_str(), second_w),
                (&since, third_w),
            ],
            c.title,
        )?;
        wrapped(out, indent, "fix: ", c.fix)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Hardening rules ({}): DEFAULT off means the rule runs only when enabled",
        rules.len()
    )?;
    writeln!(out)?;
    row(
        out,
        &[("RULE", id_w), ("SEVERITY", second_w), ("DEFAULT", third_w)],
        "TITLE",
    )?;
    for (i, r) in rules.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        row(
            out,
            &[
                (r.id, id_w),
                (r.severity.as_str(), second_w),
                (on_off(r.default_enabled), third_w),
            ],
            r.title,
        )?;
        wrapped(out, indent, "why:   ", r.rationale)?;
        wrapped(out, indent, "fix:   ", r.fix)?;
        wrapped(out, indent, "field: ", r.field)?;
    }
    Ok(())
}

fn row(out: &mut impl Write, cols: &[(&str, usize)], last: &str) -> io::Result<()> {
    write!(out, "  ")?;
    for (text, width) in cols {
        write!(out, "{text:<width$}  ")?;
    }
    writeln!(out, "{last}")
}

/// `label` then `text` word-wrapped to [`TEXT_WIDTH`], continuation lines
/// aligned under the first word of `text`.
fn wrapped(out: &mut impl Write, indent: usize, label: &str, text: &str) -> io::Result<()> {
    let start = indent + label.len();
    let avail = TEXT_WIDTH.saturating_sub(start).max(20);
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split_whitespace() {
        let cur = lines.last_mut().map_or(0, |l| l.chars().count());
        if cur > 0 && cur + 1 + word.chars().count() > avail {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(word);
        }
    }
    for (i, l) in lines.iter().enumerate() {
        if i == 0 {
            writeln!(out, "{:indent$}{label}{l}", "")?;
        } else {
            writeln!(out, "{:start$}{l}", "")?;
        }
    }
    Ok(())
}

// ---- JSON ----

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum JsonEntry {
    PodSecurity {
        id: &'static str,
        level: Level,
        since: Version,
        title: &'static str,
        description: &'static str,
        fix: &'static str,
    },
    Hardening {
        id: &'static str,
        severity: rules::Severity,
        default_enabled: bool,
        title: &'static str,
        rationale: &'static str,
        fix: &'static str,
        field: &'static str,
    },
}

fn write_json(out: &mut impl Write, checks: &[CheckDoc], rules: &[RuleInfo]) -> io::Result<()> {
    let entries: Vec<JsonEntry> = checks
        .iter()
        .map(|c| JsonEntry::PodSecurity {
            id: c.id.as_str(),
            level: c.level,
            since: c.since,
            title: c.title,
            description: c.description,
            fix: c.fix,
        })
        .chain(rules.iter().map(|r| JsonEntry::Hardening {
            id: r.id,
            severity: r.severity,
            default_enabled: r.default_enabled,
            title: r.title,
            rationale: r.rationale,
            fix: r.fix,
            field: r.field,
        }))
        .collect();
    serde_json::to_writer_pretty(&mut *out, &entries)?;
    writeln!(out)
}

// ---- Markdown ----

/// Escape prose for Markdown: `*` would start emphasis and `<x>` would be
/// swallowed as an HTML tag.
fn md(s: &str) -> String {
    s.replace('*', "\\*").replace('<', "&lt;")
}

/// Escape text for a Markdown table cell (also pipes and newlines).
fn cell(s: &str) -> String {
    md(s).replace('|', "\\|").replace('\n', " ")
}

/// Anchor GitHub generates for a `### \`id\`` heading.
fn anchor(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn write_markdown(out: &mut impl Write, checks: &[CheckDoc], rules: &[RuleInfo]) -> io::Result<()> {
    writeln!(out, "# podgate rules")?;
    writeln!(out)?;
    writeln!(
        out,
        "<!-- Generated by `{REGENERATE_DOCS}`. Do not edit by hand. -->"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Everything `podgate scan` can report: the {} Pod Security Standards checks and the {} hardening rules. \
         The IDs are stable: they appear in every report format (the `check` and `rule` fields of \
         `--format json`, SARIF `ruleId`, the `[ID]` lines of a JUnit failure).",
        checks.len(),
        rules.len()
    )?;
    writeln!(out)?;
    writeln!(out, "## Pod Security Standards checks")?;
    writeln!(out)?;
    writeln!(
        out,
        "The checks of the upstream Pod Security admission controller, with its semantics. A pod is \
         checked at one level and version (`--level`, `--version`, or the namespace's \
         `pod-security.kubernetes.io/enforce` labels): the baseline level runs the baseline checks, the \
         restricted level runs both (a restricted check may replace a baseline one). *Since* is the \
         first policy version that runs the check; later versions may refine it, as the description says."
    )?;
    writeln!(out)?;
    writeln!(out, "| Check | Level | Since | Title |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for c in checks {
        writeln!(
            out,
            "| [`{}`](#{}) | {} | {} | {} |",
            c.id.as_str(),
            anchor(c.id.as_str()),
            c.level,
            c.since,
            cell(c.title)
        )?;
    }
    for c in checks {
        writeln!(out)?;
        writeln!(out, "### `{}`", c.id.as_str())?;
        writeln!(out)?;
        writeln!(
            out,
            "**{}** · level {} · since {}",
            md(c.title),
            c.level,
            c.since
        )?;
        writeln!(out)?;
        writeln!(out, "{}", md(c.description))?;
        writeln!(out)?;
        writeln!(out, "**Fix:** {}", md(c.fix))?;
    }
    writeln!(out)?;
    writeln!(out, "## Hardening rules")?;
    writeln!(out)?;
    writeln!(
        out,
        "Checks beyond Pod Security (resources, probes, images, service accounts, host paths, \
         secrets). Rules marked *off* run only when enabled. Fields: `spec.*containers[*]` means \
         all three container lists, `spec.{{initContainers,containers}}[*]` excludes ephemeral \
         containers; paths are relative to the pod (or the workload's pod template). Findings of \
         the configuration file's image policy have the rule ID `image-policy`."
    )?;
    writeln!(out)?;
    writeln!(out, "| Rule | Severity | Default | Title |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for r in rules {
        writeln!(
            out,
            "| [`{}`](#{}) | {} | {} | {} |",
            r.id,
            anchor(r.id),
            r.severity,
            on_off(r.default_enabled),
            cell(r.title)
        )?;
    }
    for r in rules {
        writeln!(out)?;
        writeln!(out, "### `{}`", r.id)?;
        writeln!(out)?;
        writeln!(
            out,
            "**{}** · severity {} · {} by default",
            md(r.title),
            r.severity,
            on_off(r.default_enabled)
        )?;
        writeln!(out)?;
        writeln!(out, "{}", md(r.rationale))?;
        writeln!(out)?;
        writeln!(out, "**Fix:** {}", md(r.fix))?;
        writeln!(out)?;
        writeln!(out, "**Field:** `{}`", r.field)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_comes_from_the_registry() {
        assert_eq!(since(CheckId::Privileged), Version::minor(0));
        assert_eq!(since(CheckId::AllowPrivilegeEscalation), Version::minor(8));
        assert_eq!(since(CheckId::CapabilitiesRestricted), Version::minor(22));
        assert_eq!(since(CheckId::RunAsUser), Version::minor(23));
        assert_eq!(
            since(CheckId::HostProbesAndHostLifecycle),
            Version::minor(34)
        );
        assert_eq!(since(CheckId::ProcMountRestricted), Version::minor(35));
    }

    #[test]
    fn every_check_has_a_title_and_description() {
        for c in checks() {
            assert!(!c.title.is_empty() && !c.description.is_empty(), "{}", c.id);
            assert!(!c.title.ends_with('.'), "{}", c.id);
            assert!(c.description.ends_with('.'), "{}", c.id);
        }
    }

    #[test]
    fn text_wraps_and_aligns() {
        let mut buf = Vec::new();
        run(RulesFormat::Text, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        for line in text.lines() {
            // Details are wrapped; only an unbreakable word (a long field path) may overflow.
            let detail = line.starts_with("      ");
            let words = line.split_whitespace().count();
            assert!(
                !detail || line.chars().count() <= TEXT_WIDTH || words <= 2,
                "too long: {line}"
            );
            assert!(!line.ends_with(' '), "trailing space: {line:?}");
        }
        let title_col = |l: &str| l.find("TITLE");
        let heads: Vec<_> = text.lines().filter_map(title_col).collect();
        assert_eq!(heads.len(), 2);
        assert_eq!(heads[0], heads[1]);
    }
}
