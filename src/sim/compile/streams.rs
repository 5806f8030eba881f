//! Tables computed once per scenario for the hot paths: the random streams' keys and the
//! packed per-link table of the sharing loop.

use super::agencies::AgencyStatic;
use super::partnerships::LinkStatic;
use super::threats::ThreatStatic;
use super::{Compiled, KINDS};
use crate::sim::rng::fnv1a;

/// The part of a link the sharing loop reads for every offer, packed into 16 bytes so that
/// offers the receiver does not want cost one cache line, not two structs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkHot {
    /// Base probability of offering an item, [0, 1].
    pub(crate) p0: f64,
    /// Threat kinds the receiver wants (needs, acts on, or relays as a hub), one bit per kind.
    pub(crate) relevant: u8,
    /// Threat kinds the receiver needs or acts on, one bit per kind.
    pub(crate) needed: u8,
}

/// FNV-1a keys of every random process's label (`"agency/<id>/collect"`, `"link/<p>/<a>/<b>"`,
/// …), computed once per scenario so a run seeds its streams without formatting labels.
#[derive(Debug, Clone, Default)]
pub(crate) struct StreamKeys {
    /// `agency/<id>/collect`, by agency.
    pub(crate) agency_collect: Vec<u64>,
    /// `agency/<id>/service`, by agency.
    pub(crate) agency_service: Vec<u64>,
    /// `agency/<id>/failure`, by agency.
    pub(crate) agency_failure: Vec<u64>,
    /// `channel/<id>`, by channel.
    pub(crate) channel: Vec<u64>,
    /// `link/<partnership>/<from>/<to>`, by link.
    pub(crate) link: Vec<u64>,
    /// `threat/<id>/signals`, by threat.
    pub(crate) threat_signals: Vec<u64>,
    /// `threat/<id>/response`, by threat.
    pub(crate) threat_response: Vec<u64>,
    /// `threat/<id>/surge`, by threat.
    pub(crate) threat_surge: Vec<u64>,
    /// `threat/<id>/impact`, by threat (drawn only for hazards with an impact).
    pub(crate) threat_impact: Vec<u64>,
    /// `insider/<id>`, by insider.
    pub(crate) insider: Vec<u64>,
    /// `inject/<id>`, by inject.
    pub(crate) inject: Vec<u64>,
}

impl StreamKeys {
    /// The keys of every process of `c`.
    pub(super) fn of(c: &Compiled) -> StreamKeys {
        let per = |f: &dyn Fn(&AgencyStatic) -> String| -> Vec<u64> {
            c.agencies.iter().map(|a| fnv1a(&f(a))).collect()
        };
        StreamKeys {
            agency_collect: per(&|a| format!("agency/{}/collect", a.id)),
            agency_service: per(&|a| format!("agency/{}/service", a.id)),
            agency_failure: per(&|a| format!("agency/{}/failure", a.id)),
            channel: c
                .channels
                .iter()
                .map(|ch| fnv1a(&format!("channel/{}", ch.id)))
                .collect(),
            link: c
                .links
                .iter()
                .map(|l| {
                    fnv1a(&format!(
                        "link/{}/{}/{}",
                        c.partnerships[l.partnership.ix()],
                        c.agencies[l.from.ix()].id,
                        c.agencies[l.to.ix()].id
                    ))
                })
                .collect(),
            threat_signals: c
                .threats
                .iter()
                .map(|t| fnv1a(&format!("threat/{}/signals", t.id)))
                .collect(),
            threat_response: c
                .threats
                .iter()
                .map(|t| fnv1a(&format!("threat/{}/response", t.id)))
                .collect(),
            threat_surge: c
                .threats
                .iter()
                .map(|t| fnv1a(&format!("threat/{}/surge", t.id)))
                .collect(),
            threat_impact: c
                .threats
                .iter()
                .map(|t| fnv1a(&format!("threat/{}/impact", t.id)))
                .collect(),
            insider: c
                .insiders
                .iter()
                .map(|i| fnv1a(&format!("insider/{}", i.id)))
                .collect(),
            inject: c
                .injects
                .iter()
                .map(|i| fnv1a(&format!("inject/{}", i.id)))
                .collect(),
        }
    }
}

/// The packed per-link table the sharing loop reads.
pub(super) fn hot_links(
    agencies: &[AgencyStatic],
    links: &[LinkStatic],
    threats: &[ThreatStatic],
) -> Vec<LinkHot> {
    links
        .iter()
        .map(|l| {
            let a = &agencies[l.to.ix()];
            // Kinds of the threats it has a role on: it wants their items as if it acted on
            // the kind.
            let role = |k: usize| {
                threats
                    .iter()
                    .any(|t| t.kind_ix == k && t.acts.get(l.to.ix()).copied().unwrap_or(false))
            };
            let (mut relevant, mut needed) = (l.carries, 0u8);
            for k in 0..KINDS {
                let acts = a.acts_on[k] || role(k);
                if a.needs[k] || acts {
                    needed |= 1 << k;
                }
                if a.needs[k] || acts || a.is_hub {
                    relevant |= 1 << k;
                }
            }
            LinkHot {
                p0: l.p0,
                relevant,
                needed,
            }
        })
        .collect()
}

// The sharing loop relies on this: four links per cache line.
const _: () = assert!(std::mem::size_of::<LinkHot>() == 16);
