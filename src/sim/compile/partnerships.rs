//! Partnerships, compiled to directed links (a mutual partnership gives two), with their
//! gates (channels, marking, legal barriers), trust parameters and benefits.

use super::agencies::{AgencyStatic, DependencyLinks};
use super::kind_index;
use crate::ids::{AgencyIx, ChannelIx, LinkIx, PartnershipIx};
use crate::scenario::schema::{
    Agreement, BenefitSpec, Classification, Direction, PartnershipSpec, Tlp,
};
use crate::scenario::validate::PartnershipRefs;

/// A benefit flowing over a directed link to its receiver while the link works.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Benefit {
    /// The sender's sensors cover a threat kind for the receiver.
    Collection {
        /// Threat kind covered, `0..KINDS` (see [`super::kind_index`]).
        kind: usize,
        /// Extra probability the receiver observes each signal of that kind, [0, 1].
        p: f64,
    },
    /// A tool that speeds the receiver's analysis.
    Technology {
        /// Fractional speed-up of analysis: service time × (1 − speedup), [0, 0.95].
        speedup: f64,
    },
    /// Regional and cultural knowledge.
    Regional {
        /// Items of corroboration the receiver is spared before acting.
        relief: u32,
        /// Discrimination d′ added to the receiver's judgement of items.
        discrimination: f64,
        /// Extra screening/detection probability, [0, 1].
        screening: f64,
    },
    /// Capacity lent to the receiver in a surge.
    Resources {
        /// Extra analysts.
        analysts: u32,
        /// Extra surge processing [people/h], ≥ 0.
        processing: f64,
        /// Extra shelter places [people], ≥ 0.
        shelter: f64,
    },
}

impl Benefit {
    /// Value of the benefit to its receiver per hour in force, in units comparable to the
    /// items of the equity ledger [SWD/h] before the `model.benefit_value` scale [G]
    /// (docs/model.md §7): an analyst lent is worth what an analyst produces, about one
    /// finished item of sensitivity 1 every 2 h (0.5); processing is worth 0.05 per person/h
    /// (20 people processed ≈ one analyst's output) and shelter 0.001 per place (1,000 beds ≈
    /// two analysts); a partner's sensors are worth their probability of catching each signal
    /// (p); a tool its speed-up; regional knowledge 0.25 per unit of d′ plus its screening
    /// probability.
    pub(crate) fn value_per_hour(&self) -> f64 {
        match *self {
            Benefit::Collection { p, .. } => p,
            Benefit::Technology { speedup } => speedup,
            Benefit::Regional {
                discrimination,
                screening,
                ..
            } => 0.25 * discrimination + screening,
            Benefit::Resources {
                analysts,
                processing,
                shelter,
            } => 0.5 * f64::from(analysts) + 0.05 * processing + 0.001 * shelter,
        }
    }
}

/// A benefit compiled onto the one directed link it flows over, with its direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LinkBenefit {
    /// The agency that gives it (and, for resources, lends the capacity).
    pub(crate) giver: AgencyIx,
    /// The agency that receives it.
    pub(crate) receiver: AgencyIx,
    /// What it is.
    pub(crate) benefit: Benefit,
}

/// A legal or contractual barrier on a link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Barrier {
    /// Probability an item it applies to is blocked outright, [0, 1].
    pub(crate) block_p: f64,
    /// Extra delay for an item it applies to that passes [h], ≥ 0.
    pub(crate) delay_h: f64,
    /// It applies to items at or above this classification.
    pub(crate) min_class: Classification,
}

/// Static data of a directed link (a mutual partnership compiles to two).
#[derive(Debug, Clone)]
pub(crate) struct LinkStatic {
    /// The partnership it belongs to.
    pub(crate) partnership: PartnershipIx,
    /// Sending agency.
    pub(crate) from: AgencyIx,
    /// Receiving agency.
    pub(crate) to: AgencyIx,
    /// The opposite link of a mutual partnership.
    pub(crate) reverse: Option<LinkIx>,
    /// Threat kinds passed over it whatever the receiver needs (`carries`), one bit per kind.
    pub(crate) carries: u8,
    /// Senders write tearlines for the receiver when it may not receive the full item.
    pub(crate) tearlines: bool,
    /// Legal basis.
    pub(crate) agreement: Agreement,
    /// Channels it may use, in preference order.
    pub(crate) channels: Vec<ChannelIx>,
    /// Initial trust, [0, 1].
    pub(crate) trust0: f64,
    /// Base probability of offering an analysed, relevant item, [0, 1].
    pub(crate) p0: f64,
    /// Most restrictive TLP it will pass.
    pub(crate) max_tlp: Tlp,
    /// Legal or contractual barriers, in scenario order.
    pub(crate) barriers: Vec<Barrier>,
    /// Equity of exchange (value received ÷ value given) the sender accepts, > 0.
    pub(crate) expected_equity: f64,
    /// Trust below which the sender withdraws, [0, 1).
    pub(crate) withdraw_below: f64,
    /// Benefits flowing over this link while it works, each given by one end to the other
    /// (on a mutual partnership always `from` → `to`; on a one-way partnership a benefit may
    /// flow against the link, to `from`).
    pub(crate) benefits: Vec<LinkBenefit>,
    /// Value per hour of the benefits the sender gives over this link (Σ of their
    /// `value_per_hour`, in `benefits` order) [value/h].
    pub(crate) given_per_hour: f64,
    /// Multiplier of the sender's non-compliance from the agreement and joint training
    /// ([`agreement_violation_mult`], × 0.5 with joint training), > 0.
    pub(crate) violation_mult: f64,
    /// Its benefits hold only from this time on [h], ≥ 0 (their lead time).
    pub(crate) benefits_from: f64,
}

/// Multiplier of a sender's non-compliance (1 − compliance) under an agreement [G]
/// (docs/model.md §5): a formal agreement settles handling rules, trains staff on them and
/// carries sanctions, so mishandling is rarer than under none.
pub(crate) fn agreement_violation_mult(a: Agreement) -> f64 {
    match a {
        Agreement::None => 1.0,
        Agreement::Mou => 0.8,
        Agreement::Cisa2015 => 0.7,
        Agreement::Contract | Agreement::Nda => 0.6,
        Agreement::DataSharingAgreement | Agreement::Cfr28Part23 => 0.5,
        Agreement::TaskForce => 0.4,
    }
}

/// What a partnership's benefits compile to.
fn benefit(b: &BenefitSpec) -> Benefit {
    match b {
        BenefitSpec::ExtendedCollection {
            threat,
            probability,
            ..
        } => Benefit::Collection {
            kind: kind_index(*threat),
            p: *probability,
        },
        BenefitSpec::Technology { speedup, .. } => Benefit::Technology {
            speedup: speedup.clamp(0.0, 0.95),
        },
        BenefitSpec::RegionalKnowledge {
            corroboration_relief,
            screening_bonus,
            discrimination,
            ..
        } => Benefit::Regional {
            relief: *corroboration_relief,
            discrimination: *discrimination,
            screening: *screening_bonus,
        },
        BenefitSpec::ResourceAugmentation {
            analysts,
            processing_per_hour,
            shelter,
            ..
        } => Benefit::Resources {
            analysts: *analysts,
            processing: *processing_per_hour,
            shelter: *shelter,
        },
    }
}

/// The directed links, in partnership order; a mutual partnership gives `from → to` then
/// `to → from`. A disabled partnership, or one whose ends do not resolve, gives none.
pub(super) fn links(specs: &[PartnershipSpec], refs: &[PartnershipRefs]) -> Vec<LinkStatic> {
    let mut links: Vec<LinkStatic> = Vec::new();
    for (pi, (p, r)) in specs.iter().zip(refs).enumerate() {
        let (Some(a), Some(b)) = (r.from, r.to) else {
            continue;
        };
        if !p.enabled {
            continue;
        }
        let mutual = p.direction == Direction::Mutual;
        // Each benefit goes to its named receiver only (default: `to`), so it is compiled
        // onto one directed link: giver → receiver, or the one link of a one-way partnership.
        let receiver = |bs: &BenefitSpec| match bs.receiver() {
            Some(r) if r == p.from => a,
            _ => b,
        };
        let directed = |from: AgencyIx, to: AgencyIx| -> Vec<LinkBenefit> {
            p.benefits
                .iter()
                .filter(|bs| {
                    let r = receiver(bs);
                    if mutual {
                        r == to
                    } else {
                        from == a && to == b
                    }
                })
                .map(|bs| {
                    let r = receiver(bs);
                    LinkBenefit {
                        giver: if r == a { b } else { a },
                        receiver: r,
                        benefit: benefit(bs),
                    }
                })
                .collect()
        };
        let make = |from: AgencyIx, to: AgencyIx| {
            let benefits = directed(from, to);
            LinkStatic {
                given_per_hour: benefits
                    .iter()
                    .filter(|b| b.giver == from)
                    .map(|b| b.benefit.value_per_hour())
                    .sum::<f64>(),
                partnership: PartnershipIx::new(pi),
                from,
                to,
                reverse: None,
                agreement: p.agreement,
                channels: r.channels.iter().filter_map(|&c| c).collect(),
                trust0: p.trust,
                p0: p.share_probability,
                max_tlp: p.max_tlp,
                barriers: p
                    .legal_barriers
                    .iter()
                    .map(|b| Barrier {
                        block_p: b.block_probability,
                        delay_h: b.delay.hours(),
                        min_class: b.min_class,
                    })
                    .collect(),
                // The sender's own accepted balance: `expected_equity` is the `from` end's,
                // `to_expected_equity` (default the same) the `to` end's.
                expected_equity: if from == a {
                    p.expected_equity
                } else {
                    p.to_expected_equity.unwrap_or(p.expected_equity)
                }
                .max(1e-6),
                withdraw_below: p.withdraw_below,
                benefits,
                violation_mult: agreement_violation_mult(p.agreement)
                    * if p.joint_training { 0.5 } else { 1.0 },
                carries: p
                    .carries
                    .iter()
                    .fold(0u8, |m, &k| m | 1 << super::kind_index(k)),
                tearlines: p.tearlines,
                benefits_from: p.benefits_from.hours().max(0.0),
            }
        };
        let i = links.len();
        links.push(make(a, b));
        if mutual {
            links.push(make(b, a));
            links[i].reverse = Some(LinkIx::new(i + 1));
            links[i + 1].reverse = Some(LinkIx::new(i));
        }
    }
    links
}

/// Give every agency its outgoing links and, for each of its dependencies, the links from
/// that partner to it.
pub(super) fn wire(agencies: &mut [AgencyStatic], links: &[LinkStatic]) {
    for (li, l) in links.iter().enumerate() {
        agencies[l.from.ix()].out_links.push(LinkIx::new(li));
        agencies[l.to.ix()].in_links.push(LinkIx::new(li));
    }
    for (a, agency) in agencies.iter_mut().enumerate() {
        let a = AgencyIx::new(a);
        agency.depends_links = agency
            .depends
            .iter()
            .map(|d| DependencyLinks {
                partner: d.partner,
                function: d.function,
                degree: d.degree,
                links: links
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.from == d.partner && l.to == a)
                    .map(|(i, _)| LinkIx::new(i))
                    .collect(),
            })
            .collect();
    }
}

/// The links that carry benefits, ascending.
pub(super) fn benefit_links(links: &[LinkStatic]) -> Vec<LinkIx> {
    (0..links.len())
        .filter(|&i| !links[i].benefits.is_empty())
        .map(LinkIx::new)
        .collect()
}
