//! Text helpers shared by charts and the report: truncation, readable enum names, number
//! formats, scenario clock times and Markdown escaping.

use serde::Serialize;

use crate::scenario::schema::AgencyKind;

/// `s` cut to at most `max` characters, with an ellipsis when cut.
pub(super) fn ellipsize(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// A Rust enum name split into words: `IntelligenceAndInformationSharing` →
/// "Intelligence and Information Sharing".
pub(super) fn split_camel(s: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_uppercase() && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
        .iter()
        .enumerate()
        .map(|(i, w)| match w.as_str() {
            "And" | "Or" | "Of" | "For" | "The" if i > 0 => w.to_lowercase(),
            _ => w.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Readable, plural-free name of an agency kind.
pub(super) fn kind_label(k: AgencyKind) -> &'static str {
    use AgencyKind as K;
    match k {
        K::FederalComponent => "Federal component",
        K::FederalLawEnforcement => "Federal law enforcement",
        K::Jttf => "JTTF",
        K::FusionCenter => "Fusion center",
        K::RissCenter => "RISS center",
        K::Eoc => "EOC",
        K::SlttGovernment => "SLTT government",
        K::SlttLawEnforcement => "SLTT law enforcement",
        K::CriticalInfrastructure => "Critical infrastructure",
        K::PrivateSector => "Private sector",
        K::Isac => "ISAC / ISAO",
        K::Academia => "Academia",
        K::International => "International partner",
        K::Ngo => "NGO",
        K::Military => "Military",
        K::IntelligenceCommunity => "Intelligence community",
        K::Public => "Media and public",
    }
}

/// The four broad sectors used for node colour and shape in the partnership network.
pub(super) fn kind_sector(k: AgencyKind) -> usize {
    use AgencyKind as K;
    match k {
        K::FederalComponent | K::FederalLawEnforcement | K::Jttf | K::IntelligenceCommunity => 0,
        // `Military` is the National Guard (a state force under its governor unless
        // federalized), so it is drawn with the state and local agencies.
        K::FusionCenter
        | K::RissCenter
        | K::Eoc
        | K::SlttGovernment
        | K::SlttLawEnforcement
        | K::Military => 1,
        K::CriticalInfrastructure | K::PrivateSector | K::Isac => 2,
        K::Academia | K::International | K::Ngo | K::Public => 3,
    }
}

/// Names of the sectors of [`kind_sector`], plus "Unknown" at index 4.
pub(super) const SECTORS: [&str; 5] = [
    "Federal",
    "State and local",
    "Private sector",
    "Academia, NGO, international, public",
    "Unknown",
];

/// A probability with two decimals.
pub(super) fn p2(p: f64) -> String {
    format!("{p:.2}")
}

/// A signed number with two decimals (`+0.12`, `−0.05` with a true minus sign).
pub(super) fn signed(v: f64, decimals: usize) -> String {
    let s = format!("{:+.*}", decimals, v);
    // a value that rounds to zero carries no sign ("0.00", never "−0.00" or "+0.00")
    if s[1..].chars().all(|c| c == '0' || c == '.') {
        return s[1..].to_string();
    }
    if let Some(rest) = s.strip_prefix('-') {
        format!("−{rest}")
    } else {
        s
    }
}

/// A number with a sensible precision for its magnitude.
pub(super) fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Minutes past midnight of the first `H:MM` or `HH:MM` found in a start label.
pub(crate) fn start_minutes(label: &str) -> Option<u32> {
    let b = label.as_bytes();
    for i in 1..b.len() {
        if b[i] != b':' {
            continue;
        }
        let (Some(&m1), Some(&m2), h2) = (b.get(i + 1), b.get(i + 2), b[i - 1]) else {
            continue;
        };
        if !m1.is_ascii_digit() || !m2.is_ascii_digit() || !h2.is_ascii_digit() {
            continue;
        }
        let h1 = if i >= 2 && b[i - 2].is_ascii_digit() {
            b[i - 2] - b'0'
        } else {
            0
        };
        let h = u32::from(h1) * 10 + u32::from(h2 - b'0');
        let m = u32::from(m1 - b'0') * 10 + u32::from(m2 - b'0');
        if h < 24 && m < 60 {
            return Some(h * 60 + m);
        }
    }
    None
}

/// Scenario time `t` [h] as "Day N HH:MM", counting from the clock time in the start label
/// (or from 00:00 on day 1 when the label has none).
pub(super) fn clock(t: f64, start_label: &str) -> String {
    let start = start_minutes(start_label).unwrap_or(0);
    let total = (start as f64 + (t.max(0.0) * 60.0)).round() as u64;
    let day = total / 1440 + 1;
    let min = total % 1440;
    format!("Day {day} {:02}:{:02}", min / 60, min % 60)
}

/// Escape a scenario-provided string for Markdown: backslash-escape characters that start
/// markup (emphasis, code, links, tables, HTML) and fold newlines into spaces.
pub(super) fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A chart as the report refers to it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ChartRef {
    /// File stem under `charts/`.
    pub name: String,
    /// Title.
    pub title: String,
}

/// Corrective action and capability element (POETE) for a recommendation (domain §9).
pub(super) fn corrective_action(r: &str) -> (&'static str, &'static str) {
    match r {
        "PartnerVetting" => (
            "Vet partner personnel with access to shared material (continuous evaluation) and raise insider-reporting rates.",
            "Organization",
        ),
        "SharingAgreements" => (
            "Put cybersecurity and data-sharing agreements in place that remove legal barriers and fix handling (TLP) rules.",
            "Planning",
        ),
        "SharedBenefits" => (
            "Make the exchange two-way and visible: feedback on shared reports, joint products, an equity ledger.",
            "Organization",
        ),
        "JointTraining" => (
            "Train and exercise jointly with the partners to shorten analysis and relay times and build trust beforehand.",
            "Training",
        ),
        "MetricsAndEvaluation" => (
            "Track timeliness, coverage and trust as standing performance measures and review them after each incident.",
            "Planning",
        ),
        "TechnologyInvestment" => (
            "Invest in redundant, machine-speed channels so one outage does not cut the flow of information.",
            "Equipment",
        ),
        _ => ("Review the plan with the partners concerned.", "Planning"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_with_an_ellipsis() {
        assert_eq!(ellipsize("Virginia Fusion Center", 10), "Virginia…");
        assert_eq!(ellipsize("short", 10), "short");
        assert_eq!(ellipsize("abc", 1), "…");
    }

    #[test]
    fn capability_names_read_as_words() {
        assert_eq!(
            split_camel("IntelligenceAndInformationSharing"),
            "Intelligence and Information Sharing"
        );
        assert_eq!(split_camel("Cybersecurity"), "Cybersecurity");
    }

    #[test]
    fn clock_times_count_days_from_the_start_label() {
        assert_eq!(clock(0.5, "2021-05-07 06:00 EDT"), "Day 1 06:30");
        assert_eq!(clock(20.0, "2021-05-07 06:00 EDT"), "Day 2 02:00");
        assert_eq!(clock(1.25, ""), "Day 1 01:15");
        assert_eq!(start_minutes("T0 is 9:45"), Some(585));
        assert_eq!(start_minutes("no time"), None);
        assert_eq!(start_minutes("ends with 1:"), None);
    }

    #[test]
    fn markdown_metacharacters_are_escaped() {
        assert_eq!(
            md_escape("<script>a|b*c_d`e</script>"),
            "\\<script\\>a\\|b\\*c\\_d\\`e\\</script\\>"
        );
        assert_eq!(md_escape("- item\nnext"), "\\- item next");
    }

    #[test]
    fn signed_numbers_use_a_true_minus() {
        assert_eq!(signed(-0.051, 2), "−0.05");
        assert_eq!(signed(0.12, 2), "+0.12");
        assert_eq!(signed(-0.001, 2), "0.00");
        assert_eq!(signed(0.0, 1), "0.0");
    }

    #[test]
    fn the_national_guard_is_drawn_with_the_state_and_local_agencies() {
        use AgencyKind as K;
        assert_eq!(kind_sector(K::Military), kind_sector(K::Eoc));
        assert_ne!(kind_sector(K::Military), kind_sector(K::FederalComponent));
        assert_eq!(SECTORS[kind_sector(K::Military)], "State and local");
    }
}
