//! Tables computed once per scenario for the hot paths: the random streams' keys and the
//! sharing loop's packed tables (per-sender out-links, per-link send data, static verdicts).

use super::agencies::AgencyStatic;
use super::partnerships::LinkStatic;
use super::rules::{broken_rules, violation_probability};
use super::threats::ThreatStatic;
use super::{Compiled, KINDS};
use crate::ids::{AgencyIx, ChannelIx, LinkIx, PartnershipIx, ThreatIx};
use crate::scenario::schema::Classification;
use crate::sim::rng::fnv1a;

/// The part of a link the sharing loop reads for every offer, packed into 16 bytes and laid out
/// by sender (see [`SendTables::out`]), so that the offers of one item read one run of memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkHot {
    /// Base probability of offering an item, [0, 1].
    pub(crate) p0: f64,
    /// The link.
    pub(crate) link: LinkIx,
    /// Threat kinds the receiver wants (needs, acts on, or relays as a hub), one bit per kind.
    pub(crate) relevant: u8,
    /// Threat kinds the receiver needs or acts on, one bit per kind.
    pub(crate) needed: u8,
}

/// What the sharing loop reads of a link it passes an item over (32 bytes), instead of the
/// link's [`LinkStatic`] with its lists.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkSend {
    /// Receiving agency.
    pub(crate) to: AgencyIx,
    /// Its partnership.
    pub(crate) partnership: PartnershipIx,
    /// Its channels, in preference order: `SendTables::channels[channels.0 .. channels.1]`.
    pub(crate) channels: (u32, u32),
    /// The first of them ([`ChannelIx::NONE`] without any), at hand without the list: most
    /// offers go by it.
    pub(crate) first: ChannelIx,
    /// Probability the sender passes an offer that breaks a rule anyway, [0, 1]
    /// ([`violation_probability`]).
    pub(crate) p_violate: f64,
    /// The partnership writes tearlines.
    pub(crate) tearlines: bool,
    /// It has legal barriers (read from the [`LinkStatic`]).
    pub(crate) barriers: bool,
}

/// The static verdicts on an offer of one threat's item over one link: the rules it breaks
/// ([`broken_rules`]) and whether the receiver is cleared for it, for the threat's own marking
/// (index 0) and its tearline (index 1; the own marking when the threat has none).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Verdict {
    /// Rules broken, by `2 × marking + resharing`.
    pub(crate) broken: [u8; 4],
    /// The receiver may hold the marking's class, by marking.
    pub(crate) cleared: [bool; 2],
}

/// The sharing loop's tables, built once per scenario from the static model.
///
/// They are laid out by *slot*: every agency's out-links (in `out_links` order), one agency
/// after another, so that what the loop reads of one sender's links (and the links' random
/// streams, `LinkSide::rng`, kept in the same order) is contiguous rather than spread over
/// the link numbering.
#[derive(Debug, Clone, Default)]
pub(crate) struct SendTables {
    /// Each agency's slots, `hot[out[a].0 .. out[a].1]`, by agency.
    pub(crate) out: Vec<(u32, u32)>,
    /// By slot.
    pub(crate) hot: Vec<LinkHot>,
    /// By slot.
    pub(crate) send: Vec<LinkSend>,
    /// Every slot's channels, one list after another (see [`LinkSend::channels`]).
    pub(crate) channels: Vec<ChannelIx>,
    /// By `slot × threats + threat`.
    pub(crate) verdicts: Vec<Verdict>,
    /// Threats of the model.
    pub(crate) threats: usize,
    /// The slot of each link, by link (every link is one sender's out-link: a permutation).
    pub(crate) slot_of: Vec<u32>,
}

impl SendTables {
    /// Agency `a`'s out-links: the first slot and the hot records from it.
    pub(crate) fn out_of(&self, a: AgencyIx) -> (usize, &[LinkHot]) {
        let (from, to) = self.out[a.ix()];
        (from as usize, &self.hot[from as usize..to as usize])
    }

    /// The verdicts on an offer of `threat`'s item from `slot`.
    pub(crate) fn verdict(&self, slot: usize, threat: ThreatIx) -> &Verdict {
        &self.verdicts[slot * self.threats + threat.ix()]
    }
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

/// Link `link`'s [`LinkHot`].
fn link_hot(
    link: LinkIx,
    agencies: &[AgencyStatic],
    links: &[LinkStatic],
    threats: &[ThreatStatic],
) -> LinkHot {
    let l = &links[link.ix()];
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
        link,
        relevant,
        needed,
    }
}

/// The sharing loop's tables of a model's agencies, links and threats.
pub(super) fn send_tables(
    agencies: &[AgencyStatic],
    links: &[LinkStatic],
    threats: &[ThreatStatic],
) -> SendTables {
    let mut out = Vec::with_capacity(agencies.len());
    let mut hot = Vec::new();
    for a in agencies {
        let from = hot.len() as u32;
        hot.extend(
            a.out_links
                .iter()
                .map(|&l| link_hot(l, agencies, links, threats)),
        );
        out.push((from, hot.len() as u32));
    }
    let mut slot_of = vec![0; links.len()];
    for (j, h) in hot.iter().enumerate() {
        slot_of[h.link.ix()] = j as u32;
    }
    let mut channels = Vec::new();
    let send = hot
        .iter()
        .map(|h| {
            let l = &links[h.link.ix()];
            let from = channels.len() as u32;
            channels.extend_from_slice(&l.channels);
            LinkSend {
                to: l.to,
                partnership: l.partnership,
                channels: (from, channels.len() as u32),
                first: l.channels.first().copied().unwrap_or(ChannelIx::NONE),
                p_violate: violation_probability(&agencies[l.from.ix()], l),
                tearlines: l.tearlines,
                barriers: !l.barriers.is_empty(),
            }
        })
        .collect();
    let verdicts = hot
        .iter()
        .flat_map(|h| {
            let l = &links[h.link.ix()];
            let (sender, to) = (&agencies[l.from.ix()], &agencies[l.to.ix()]);
            threats.iter().map(move |th| {
                let mut v = Verdict::default();
                for (m, tearline) in [false, true].into_iter().enumerate() {
                    let mk = th.marking_of(tearline);
                    v.cleared[m] =
                        mk.class < Classification::Confidential || mk.class <= to.clearance;
                    for (r, resharing) in [false, true].into_iter().enumerate() {
                        v.broken[2 * m + r] = broken_rules(mk, sender, to, l, resharing);
                    }
                }
                v
            })
        })
        .collect();
    SendTables {
        out,
        hot,
        send,
        channels,
        verdicts,
        threats: threats.len(),
        slot_of,
    }
}

// The sharing loop relies on this: four links per cache line.
const _: () = assert!(std::mem::size_of::<LinkHot>() == 16);
const _: () = assert!(std::mem::size_of::<LinkSend>() == 32);
