//! The sharing gates (docs/model.md §5): each gate that fails blocks the offer and counts it
//! under its reason when the recipient needs the item; an offer that passes every gate is
//! sent over the first fitting channel and delivered after the channel's latency.

use super::{Sim, threat_t};
use crate::sim::compile::BlockReason;
use crate::sim::flow::{deliver_items, share_items};
use crate::sim::state::ThreatStates;
use rand::RngExt;

/// Agencies `o` (an originator), `a` (the sender, a fusion center cleared to Secret) and `b`
/// (the recipient, with fields `b`); channels `c` (up to CUI, 2 h) and `s` (up to Secret,
/// 30 min; the validator accepts it only when `b` is cleared to Secret); the
/// partnership `p` from `a` to `b` (one-way, trust 1, p0 = 1, with fields `p`) and `q` from `o`
/// to `a`; threat `t` with marking `marking` and fields `threat`. `a` always complies with
/// markings (`handling_compliance: 1.0`) unless a test replaces that text.
fn net(b: &str, p: &str, marking: &str, threat: &str) -> String {
    format!(
        r#"
  agencies: [
    (id: "o", name: "Origin", kind: SlttLawEnforcement, needs: [Cyber]),
    (id: "a", name: "Alpha", kind: FusionCenter, clearance: Secret, needs: [Cyber], handling_compliance: 1.0),
    (id: "b", name: "Bravo", {b}),
  ],
  channels: [
    (id: "c", name: "Wire", max_class: Cui, latency: Fixed(hours(2))),
    (id: "s", name: "Secure line", max_class: Secret, latency: Fixed(minutes(30))),
  ],
  partnerships: [
    (id: "p", from: "a", to: "b", direction: OneWay, trust: 1.0, share_probability: 1.0, {p}),
    (id: "q", from: "o", to: "a", direction: OneWay, agreement: Mou, channels: ["c"], trust: 1.0),
  ],
  {}
"#,
        threat_t(marking, threat)
    )
}

/// A recipient that needs Cyber items, with extra fields.
fn needs(extra: &str) -> String {
    format!(r#"kind: SlttLawEnforcement, needs: [Cyber], {extra}"#)
}

/// `a` analyses an item it originated at 0.5 h and offers it (tick 0). Returns the item.
fn offer(sim: &mut Sim, origin: &str) -> u32 {
    let item = sim.item("t", origin, 0.0);
    sim.at(0)
        .refresh()
        .analysed("a", item, 0.5)
        .run(share_items);
    item
}

#[test]
fn an_offer_that_passes_every_gate_is_sent_at_completion_plus_latency() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "sensitivity: 3.0",
    ));
    let item = offer(&mut sim, "a");
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(sim.in_flight(), 1);
    // The sender's equity ledger gains the item's value only once it arrives, new, true
    // and timely (docs/model.md §7).
    assert_eq!(sim.link_state("a", "b").value, 0.0);
    let t = sim.threat("t").ix();
    assert_eq!(
        sim.world.resource::<ThreatStates>().0[t].first_share_at,
        Some(0.5)
    );
    // Fixed 2 h latency: arrives at 2.5 h, in tick 2.
    assert_eq!(
        sim.take_due(2),
        vec![(
            2.5,
            "b".to_string(),
            item,
            Some(("a".to_string(), "b".to_string())),
            Some("c".to_string())
        )]
    );
}

#[test]
fn a_passed_offer_is_delivered_into_the_recipients_holdings_and_queue() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    let item = offer(&mut sim, "a");
    sim.at(1).refresh().run(deliver_items);
    assert!(!sim.holds("b", item), "delivered before its arrival time");
    sim.at(2).refresh().run(deliver_items);
    assert!(sim.holds("b", item));
    assert_eq!(sim.tally().delivered, 1);
    assert_eq!(sim.link_state("a", "b").items, 1);
    // A true item 2 h old is useful: its sensitivity is value given by the sender.
    assert_eq!(sim.link_state("a", "b").value, 1.0);
    let b = sim.agency("b").ix();
    let t = sim.threat("t").ix();
    assert_eq!(sim.agencies().holdings[b].informed_at[t], 2.5);
    assert_eq!(
        sim.agencies().queue[b]
            .waiting
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![(2.5, item)]
    );
}

#[test]
fn the_first_listed_channel_that_carries_the_class_is_used() {
    // The CUI wire first: an unclassified item goes by wire (2 h), not the faster line.
    let mut sim = Sim::new(&net(
        &needs("clearance: Secret"),
        r#"agreement: Mou, channels: ["c", "s"]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    offer(&mut sim, "a");
    let due = sim.take_due(2);
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].0, due[0].4.as_deref()), (2.5, Some("c")));
    // A Confidential item skips the wire and goes by the secure line (30 min).
    let mut sim = Sim::new(&net(
        &needs("clearance: Secret"),
        r#"agreement: Mou, channels: ["c", "s"]"#,
        "Confidential, tlp: Green",
        "",
    ));
    offer(&mut sim, "a");
    let due = sim.take_due(1);
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].0, due[0].4.as_deref()), (1.0, Some("s")));
    assert_eq!(sim.blocked(), [0; 5]);
}

#[test]
fn a_class_above_the_recipients_clearance_is_blocked_as_clearance() {
    let mut sim = Sim::new(&net(
        &needs("clearance: Cui"),
        r#"agreement: Mou, channels: ["c"]"#,
        "Secret, tlp: Green",
        "",
    ));
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Clearance, 1));
    assert_eq!(sim.in_flight(), 0);
    assert_eq!(sim.link_state("a", "b").value, 0.0);
}

#[test]
fn an_uncleared_partner_gets_the_tearline_instead_of_nothing() {
    // The Secret item cannot go to `b` (cleared to CUI, and only a CUI wire), but the threat
    // has an unclassified tearline of sensitivity 0.5 (a quarter of 2.0 by default): `a`
    // writes it once, as its originator, and sends it; `b` then knows of the threat.
    let mut sim = Sim::new(&net(
        &needs("clearance: Cui"),
        r#"agreement: Mou, channels: ["c"], tearlines: true"#,
        "Secret, tlp: Amber",
        "sensitivity: 2.0, tearline: (marking: (class: Unclassified, tlp: Green))",
    ));
    let full = offer(&mut sim, "a");
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(sim.in_flight(), 1);
    // A second offer of the same item reuses the tearline written the first time.
    sim.at(0)
        .refresh()
        .clear::<crate::sim::state::Analysed>()
        .analysed("a", full, 0.7)
        .run(share_items);
    let due = sim.take_due(2);
    assert_eq!(due.len(), 2);
    let derived = due[0].2;
    assert_ne!(derived, full);
    assert_eq!(due[1].2, derived);
    let items = sim.world.resource::<crate::sim::state::Items>();
    let (f, d) = (&items.0[full as usize], &items.0[derived as usize]);
    assert!(d.tearline && !f.tearline);
    assert_eq!(f.tearline_item, derived);
    assert_eq!(
        (d.signal, d.created, d.truth),
        (f.signal, f.created, f.truth)
    );
    assert_eq!(d.origin, sim.agency("a"));
    // One tearline only, the last item created.
    assert_eq!(items.0.len() as u32, derived + 1);
    // Delivered, it weighs the tearline's sensitivity.
    let mut sim2 = Sim::new(&net(
        &needs("clearance: Cui"),
        r#"agreement: Mou, channels: ["c"], tearlines: true"#,
        "Secret, tlp: Amber",
        "sensitivity: 2.0, tearline: (marking: (class: Unclassified, tlp: Green))",
    ));
    offer(&mut sim2, "a");
    sim2.at(2).refresh().run(deliver_items);
    assert_eq!(sim2.link_state("a", "b").received, 0.5);
    let (b, t) = (sim2.agency("b").ix(), sim2.threat("t").ix());
    assert_eq!(sim2.agencies().holdings[b].informed_at[t], 2.5);
    // A partnership that writes no tearlines blocks the item as before.
    let mut sim3 = Sim::new(&net(
        &needs("clearance: Cui"),
        r#"agreement: Mou, channels: ["c"]"#,
        "Secret, tlp: Amber",
        "sensitivity: 2.0, tearline: (marking: (class: Unclassified, tlp: Green))",
    ));
    offer(&mut sim3, "a");
    assert_eq!(sim3.blocked(), Sim::only(BlockReason::Clearance, 1));
    assert_eq!(sim3.in_flight(), 0);
}

#[test]
fn a_cleared_partner_gets_the_full_item_even_when_a_tearline_exists() {
    let mut sim = Sim::new(&net(
        &needs("clearance: Secret"),
        r#"agreement: Mou, channels: ["s"], tearlines: true"#,
        "Secret, tlp: Amber",
        "tearline: (marking: (class: Unclassified, tlp: Green), sensitivity: 0.1)",
    ));
    let full = offer(&mut sim, "a");
    assert_eq!(sim.in_flight(), 1);
    assert_eq!(sim.take_due(1)[0].2, full);
}

#[test]
fn no_listed_channel_carrying_the_class_is_blocked_as_channel() {
    let mut sim = Sim::new(&net(
        &needs("clearance: Secret"),
        r#"agreement: Mou, channels: ["c"]"#,
        "Confidential, tlp: Green",
        "",
    ));
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Channel, 1));
    assert_eq!(sim.in_flight(), 0);
}

#[test]
fn a_listed_channel_that_is_down_is_blocked_as_channel() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    let c = sim.channel("c");
    sim.world.resource_mut::<crate::sim::state::Channels>().0[c].scripted_down = 1;
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Channel, 1));
    assert_eq!(sim.in_flight(), 0);
}

#[test]
fn amber_without_an_agreement_is_blocked_as_marking_and_green_passes() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: None, channels: ["c"]"#,
        "Unclassified, tlp: Amber",
        "",
    ));
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Marking, 1));
    assert_eq!(sim.in_flight(), 0);
    assert_eq!(sim.tally().violations, 0);

    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: None, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(sim.in_flight(), 1);
}

#[test]
fn a_tlp_above_the_partnerships_max_tlp_is_blocked_as_marking() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, max_tlp: Green, channels: ["c"]"#,
        "Unclassified, tlp: Amber",
        "",
    ));
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Marking, 1));
    assert_eq!(sim.in_flight(), 0);
}

#[test]
fn amber_strict_moves_one_hop_from_its_originator_only() {
    let body = net(
        &needs(""),
        r#"agreement: Mou, max_tlp: Red, channels: ["c"]"#,
        "Unclassified, tlp: AmberStrict",
        "",
    );
    // The originator may pass it on.
    let mut sim = Sim::new(&body);
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(sim.in_flight(), 1);
    // A re-share (the item originated at `o`) is blocked.
    let mut sim = Sim::new(&body);
    offer(&mut sim, "o");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Marking, 1));
    assert_eq!(sim.in_flight(), 0);
}

#[test]
fn a_sender_without_compliance_passes_a_marking_failure_as_a_violation() {
    // `a` complies never; `b` is the public; the item came from `o`, which has a link to `a`.
    let body = net(
        r#"kind: Public, needs: [Cyber]"#,
        r#"agreement: None, channels: ["c"]"#,
        "Unclassified, tlp: Amber",
        "sensitivity: 4.0",
    )
    .replace("handling_compliance: 1.0", "handling_compliance: 0.0");
    assert!(body.contains("handling_compliance: 0.0"));
    let mut sim = Sim::new(&body);
    offer(&mut sim, "o");
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(sim.in_flight(), 1);
    assert_eq!(sim.tally().violations, 1);
    // Beyond TLP? No (max_tlp Amber). Beyond the agreement (none) and to the public: both.
    assert_eq!(sim.tally().violation_kinds, [0, 1, 1, 0, 0]);
    assert_eq!(sim.link_state("a", "b").violations, [0, 1, 1, 0, 0]);
    assert_eq!(sim.link_state("a", "b").violating_offers, 1);
    // Beyond the agreement is a legal finding.
    assert_eq!(sim.tally().legal_findings, 1);
    // The item's sensitivity is exposed, and attributed to the link it crossed.
    assert_eq!(sim.tally().exposure, 4.0);
    assert_eq!(sim.link_state("a", "b").exposure, 4.0);
    // `a` relayed `o`'s item: none of it was `a`'s own collection.
    assert_eq!(sim.link_state("a", "b").origin_exposure, 0.0);
    // The originator's trust in the violating sender takes a −1 signal.
    assert_eq!(
        sim.trust_signals(),
        vec![("o".to_string(), "a".to_string(), -1.0)]
    );
}

#[test]
fn a_legal_barrier_that_blocks_is_counted_as_legal() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"],
           legal_barriers: [(description: "NDA", block_probability: 1.0)]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Legal, 1));
    assert_eq!(sim.in_flight(), 0);
}

#[test]
fn legal_barrier_delays_add_up_and_a_barrier_below_its_class_does_not_apply() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"],
           legal_barriers: [
             (description: "Review", delay: hours(3)),
             (description: "Counsel", delay: hours(1)),
             (description: "Secret only", block_probability: 1.0, delay: hours(50), min_class: Secret),
           ]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), [0; 5]);
    // 0.5 h + 2 h latency + 3 h + 1 h of legal review.
    let due = sim.take_due(6);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].0, 6.5);
}

#[test]
fn a_withdrawn_link_is_blocked_as_withdrawn_before_any_later_gate() {
    // The item is also above the recipient's clearance: the earlier gate decides the reason.
    let mut sim = Sim::new(&net(
        &needs("clearance: Cui"),
        r#"agreement: Mou, channels: ["c"]"#,
        "Secret, tlp: Green",
        "",
    ));
    sim.link_state_mut("a", "b").withdrawn = true;
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Withdrawn, 1));
    assert_eq!(sim.in_flight(), 0);
}

#[test]
fn a_legal_hold_in_force_is_blocked_as_legal() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    sim.link_state_mut("a", "b").held = 1;
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Legal, 1));
    assert_eq!(sim.in_flight(), 0);
}

#[test]
fn the_share_decision_passes_exactly_when_u_share_is_below_p0_times_trust() {
    let body = net(
        // Above the recipient's clearance, so a passed decision is then counted as blocked.
        &needs("clearance: Cui"),
        r#"agreement: Mou, channels: ["c"]"#,
        "Secret, tlp: Green",
        "",
    );
    // p0 = 1: the offer is made iff u_share < T. The first uniform on the link's stream is u_share.
    let mut sim = Sim::new(&body);
    let u: f64 = sim.link_stream("a", "b").random();
    sim.set_trust("a", "b", u);
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), [0; 5], "u_share = T must not share");

    let mut sim = Sim::new(&body);
    sim.set_trust("a", "b", u.next_up());
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Clearance, 1));
}

#[test]
fn an_offer_not_made_takes_its_two_draws_and_counts_nothing() {
    let mut sim = Sim::new(&net(
        &needs("clearance: Cui"),
        r#"agreement: Mou, channels: ["c"]"#,
        "Secret, tlp: Green",
        "",
    ));
    let mut expect = sim.link_stream("a", "b");
    let _: (f64, f64) = (expect.random(), expect.random());
    sim.set_trust("a", "b", 0.0);
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(sim.in_flight(), 0);
    let mut got = sim.link_stream("a", "b");
    assert_eq!(got.random::<u64>(), expect.random::<u64>());
}

#[test]
fn a_recipient_without_need_to_know_is_not_offered_the_item() {
    // Not a hub and neither needs nor acts on Cyber: no offer, no draws, nothing counted.
    let mut sim = Sim::new(&net(
        r#"kind: SlttLawEnforcement, needs: [Plot]"#,
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    let mut before = sim.link_stream("a", "b");
    offer(&mut sim, "a");
    assert_eq!(sim.in_flight(), 0);
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(
        sim.link_stream("a", "b").random::<u64>(),
        before.random::<u64>()
    );
}

#[test]
fn a_hub_that_does_not_need_the_item_is_offered_it_but_its_blocks_are_not_counted() {
    let body = |kind: &str| {
        net(
            &format!("kind: {kind}, clearance: Cui"),
            r#"agreement: Mou, channels: ["c"]"#,
            "Secret, tlp: Green",
            "",
        )
    };
    // A hub relays: the offer is made (two draws), blocked by clearance, but not counted.
    let mut sim = Sim::new(&body("FusionCenter"));
    let mut expect = sim.link_stream("a", "b");
    let _: (f64, f64) = (expect.random(), expect.random());
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(sim.in_flight(), 0);
    assert_eq!(
        sim.link_stream("a", "b").random::<u64>(),
        expect.random::<u64>()
    );
    // And a hub does receive what passes.
    let mut sim = Sim::new(&body("FusionCenter").replace("Secret, tlp", "Unclassified, tlp"));
    offer(&mut sim, "a");
    assert_eq!(sim.in_flight(), 1);
}

#[test]
fn a_recipient_that_acts_on_the_kind_needs_it_and_its_blocks_count() {
    let mut sim = Sim::new(&net(
        r#"kind: SlttLawEnforcement, acts_on: [Cyber], clearance: Cui"#,
        r#"agreement: Mou, channels: ["c"]"#,
        "Secret, tlp: Green",
        "",
    ));
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Clearance, 1));
}

#[test]
fn a_sender_that_is_down_offers_nothing_and_draws_nothing() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    let mut before = sim.link_stream("a", "b");
    let a = sim.agency("a").ix();
    sim.agencies_mut().status[a].scripted_down = 1;
    offer(&mut sim, "a");
    assert_eq!(sim.in_flight(), 0);
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(
        sim.link_stream("a", "b").random::<u64>(),
        before.random::<u64>()
    );
}

#[test]
fn a_link_both_withdrawn_and_held_is_blocked_as_withdrawn() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    {
        let mut l = sim.link_state_mut("a", "b");
        l.withdrawn = true;
        l.held = 1;
    }
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Withdrawn, 1));
}

#[test]
fn a_delivery_arriving_after_the_item_perished_expires_and_informs_nobody() {
    // Created at 0 h, perishes after 2 h; sent at 0.5 h, arrives at 2.5 h.
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "perishability: hours(2)",
    ));
    let item = offer(&mut sim, "a");
    sim.at(2).refresh().run(deliver_items);
    assert!(!sim.holds("b", item));
    assert_eq!(sim.tally().expired, 1);
    assert_eq!(sim.tally().delivered, 0);
}

/// An item offered to a partner that already holds it is a known duplicate (2 h latency:
/// it arrives at 2.5 h, in tick 2). `b_down` takes `b` down for tick 2 only; `perish` is the
/// threat's extra fields. Returns the in-flight counts after ticks 2 and 3 and the expiries.
fn duplicate_to(b_down: bool, perish: &str) -> (usize, usize, u64) {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        perish,
    ));
    let item = sim.item("t", "a", 0.0);
    let b = sim.agency("b");
    assert!(sim.agencies_mut().held.insert(b, item));
    let b = b.ix();
    sim.at(0)
        .refresh()
        .analysed("a", item, 0.5)
        .run(share_items);
    assert_eq!((sim.in_flight(), sim.tally().delivered), (1, 0));
    sim.agencies_mut().status[b].scripted_down = u32::from(b_down);
    sim.at(2).refresh().run(deliver_items);
    let after_2 = sim.in_flight();
    sim.agencies_mut().status[b].scripted_down = 0;
    sim.at(3).refresh().run(deliver_items);
    assert_eq!(sim.tally().delivered, 0);
    (after_2, sim.in_flight(), sim.tally().expired)
}

#[test]
fn a_duplicate_does_nothing_unless_its_recipient_is_down_when_it_arrives() {
    // Up when it arrives: it is gone, with no effect.
    assert_eq!(duplicate_to(false, ""), (0, 0, 0));
    // Down: parked (still in flight) until the recipient is back, then of no use.
    assert_eq!(duplicate_to(true, ""), (1, 0, 0));
    // Stale on arrival (perishes after 2 h): it expires, up or down.
    assert_eq!(duplicate_to(false, "perishability: hours(2)"), (0, 0, 1));
    assert_eq!(duplicate_to(true, "perishability: hours(2)"), (0, 0, 1));
    // Perishing while parked (after 3 h, it arrives at 2.5 h): it expires when offered again.
    assert_eq!(duplicate_to(true, "perishability: hours(2.9)"), (1, 0, 1));
}

#[test]
fn an_unclassified_or_cui_item_reaches_an_uncleared_partner_and_a_classified_one_does_not() {
    // Clearance governs classified items only; CUI is governed by TLP and the agreement.
    for class in ["Unclassified", "Cui"] {
        let mut sim = Sim::new(&net(
            &needs("clearance: Unclassified"),
            r#"agreement: Mou, channels: ["c"]"#,
            &format!("{class}, tlp: Green"),
            "",
        ));
        offer(&mut sim, "a");
        assert_eq!(sim.blocked(), [0; 5], "{class}");
        assert_eq!(sim.in_flight(), 1, "{class}");
    }
    // A classified item is still held to the clearance (a recipient cleared to CUI).
    let mut sim = Sim::new(&net(
        &needs("clearance: Cui"),
        r#"agreement: Mou, channels: ["c"]"#,
        "Confidential, tlp: Green",
        "",
    ));
    offer(&mut sim, "a");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Clearance, 1));
}

#[test]
fn amber_strict_is_relayed_inside_one_organisation_only() {
    // The item originated at `o`: `a`'s offer to `b` is a re-share.
    let body = |org_a: &str, org_b: &str| {
        net(
            &needs(&format!("organisation: {org_b}")),
            r#"agreement: Mou, max_tlp: Red, channels: ["c"]"#,
            "Unclassified, tlp: AmberStrict",
            "",
        )
        .replace(
            "handling_compliance: 1.0",
            &format!("handling_compliance: 1.0, organisation: {org_a}"),
        )
    };
    let mut sim = Sim::new(&body(r#"Some("FBI")"#, r#"Some("FBI")"#));
    offer(&mut sim, "o");
    assert_eq!(sim.blocked(), [0; 5]);
    assert_eq!(sim.in_flight(), 1);
    for (a, b) in [(r#"Some("FBI")"#, r#"Some("DHS")"#), ("None", "None")] {
        let mut sim = Sim::new(&body(a, b));
        offer(&mut sim, "o");
        assert_eq!(sim.blocked(), Sim::only(BlockReason::Marking, 1), "{a} {b}");
        assert_eq!(sim.in_flight(), 0);
    }
    // TLP:RED is not relayed even inside one organisation.
    let red = body(r#"Some("FBI")"#, r#"Some("FBI")"#).replace("AmberStrict", "Red");
    let mut sim = Sim::new(&red);
    offer(&mut sim, "o");
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Marking, 1));
}

#[test]
fn criminal_intelligence_and_pii_need_a_party_or_a_formal_agreement() {
    let body = |agreement: &str| {
        net(
            r#"kind: Ngo, needs: [Cyber]"#,
            &format!(r#"agreement: {agreement}, channels: ["c"]"#),
            "Unclassified, tlp: Green, criminal_intel: true, pii: true",
            "sensitivity: 2.5",
        )
        // p_violate = min(1, 1 × 1.5 × 0.8) = 1.
        .replace(
            "handling_compliance: 1.0",
            "handling_compliance: 0.0, vetting: None",
        )
    };
    // An NGO under an MOU: neither law enforcement nor a 28 CFR 23 party; no formal agreement.
    let mut sim = Sim::new(&body("Mou"));
    offer(&mut sim, "a");
    assert_eq!(sim.in_flight(), 1);
    assert_eq!(sim.tally().violations, 1);
    assert_eq!(sim.tally().violation_kinds, [0, 0, 0, 1, 1]);
    assert_eq!(sim.tally().legal_findings, 1);
    assert_eq!(sim.link_state("a", "b").exposure, 2.5);
    // `a` is the originator of the item it over-shared: the whole exposure is its own loss.
    assert_eq!(sim.link_state("a", "b").origin_exposure, 2.5);
    assert_eq!(sim.link_state("a", "b").legal_findings, 1);
    // Under 28 CFR Part 23 (a formal agreement too): nothing broken, nothing exposed.
    let mut sim = Sim::new(&body("Cfr28Part23"));
    offer(&mut sim, "a");
    assert_eq!(sim.in_flight(), 1);
    assert_eq!(sim.tally().violations, 0);
    assert_eq!(sim.tally().legal_findings, 0);
    assert_eq!(sim.tally().exposure, 0.0);
    // A TLP breach alone is a violation but no legal finding (TLP is not a control marking).
    let mut sim = Sim::new(
        &net(
            &needs(""),
            r#"agreement: Mou, max_tlp: Green, channels: ["c"]"#,
            "Cui, tlp: Amber",
            "",
        )
        .replace(
            "handling_compliance: 1.0",
            "handling_compliance: 0.0, vetting: None",
        ),
    );
    offer(&mut sim, "a");
    assert_eq!(sim.tally().violation_kinds, [1, 0, 0, 0, 0]);
    assert_eq!(sim.tally().legal_findings, 0);
}

#[test]
fn a_marking_failure_passes_exactly_when_u_violate_is_below_the_violation_probability() {
    // Compliance 0.9, no vetting (× 1.5), an MOU (× 0.8), joint training (× 0.5):
    // p = 0.1 × 1.5 × 0.8 × 0.5 = 0.06.
    let body = net(
        &needs(""),
        r#"agreement: Mou, max_tlp: Green, joint_training: true, channels: ["c"]"#,
        "Unclassified, tlp: Amber",
        "",
    )
    .replace(
        "handling_compliance: 1.0",
        "handling_compliance: 0.9, vetting: None",
    );
    let sim = Sim::new(&body);
    let st = sim.st();
    let (a, l) = (sim.agency("a").ix(), sim.link("a", "b"));
    let p = crate::sim::compile::violation_probability(&st.agencies[a], &st.links[l]);
    assert!((p - 0.06).abs() < 1e-12, "p = {p}");
    // Paired on each run's own stream: the second uniform decides, and the share of passes
    // matches p within 4 standard errors.
    let n = 600u64;
    let mut passed = 0u64;
    for run_index in 0..n {
        let mut sim = Sim::seeded(
            &body,
            crate::sim::rng::RunSeed {
                master: 7,
                run_index,
            },
        );
        let mut s = sim.link_stream("a", "b");
        let _u_share: f64 = s.random();
        let u_violate: f64 = s.random();
        offer(&mut sim, "a");
        let violated = sim.tally().violations == 1;
        assert_eq!(violated, u_violate < p, "run {run_index}");
        assert_eq!(sim.in_flight() == 1, violated);
        passed += u64::from(violated);
    }
    let se = (p * (1.0 - p) / n as f64).sqrt();
    let share = passed as f64 / n as f64;
    assert!((share - p).abs() < 4.0 * se, "share {share} vs {p}");
}

#[test]
fn an_agency_without_explicit_compliance_takes_its_kinds_default() {
    let sim = Sim::new(&net(
        r#"kind: Ngo, needs: [Cyber]"#,
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "",
    ));
    let st = sim.st();
    assert_eq!(st.agencies[sim.agency("b").ix()].compliance, 0.85);
    assert_eq!(st.agencies[sim.agency("o").ix()].compliance, 0.93);
    assert_eq!(st.agencies[sim.agency("a").ix()].compliance, 1.0);
}

#[test]
fn a_delivery_over_a_link_adds_its_sensitivity_to_what_the_link_carried_once() {
    let mut sim = Sim::new(&net(
        &needs(""),
        r#"agreement: Mou, channels: ["c"]"#,
        "Unclassified, tlp: Green",
        "sensitivity: 3.0",
    ));
    let item = sim.item("t", "a", 0.0);
    sim.send(item, "a", "b", 0.5).send(item, "a", "b", 0.6);
    sim.at(0).refresh().run(deliver_items);
    // The echo is a duplicate: only the first delivery counts.
    assert_eq!(sim.link_state("a", "b").received, 3.0);
    assert_eq!(sim.link_state("a", "b").items, 1);
}

#[test]
fn an_insiders_act_exposes_each_inbound_link_in_proportion_to_what_it_carried() {
    // `b` holds one item delivered by `a` and one of its own (sensitivity 3 each). An analyst
    // (access × 5) leaks once: E = 5 × mean held sensitivity 3 = 15, and the link a → b carried
    // half of what `b` holds, so it is charged 7.5; the other half is b's own collection.
    let body = format!(
        "{}\n  insiders: [(id: \"x\", agency: \"b\", access: Analyst, action: Leak,\n    precursors_per_month: 1.0, report_probability: 0.1, actions_per_month: 1.0)],",
        net(
            &needs("vetting: None"),
            r#"agreement: Mou, channels: ["c"]"#,
            "Unclassified, tlp: Green",
            "sensitivity: 3.0",
        )
    );
    let mut sim = Sim::new(&body);
    let given = sim.observe("t", "a", 0.0);
    sim.observe("t", "b", 0.2);
    sim.send(given, "a", "b", 0.5);
    sim.at(0).refresh().run(deliver_items);
    assert_eq!(sim.link_state("a", "b").received, 3.0);
    {
        let mut ins = sim.world.resource_mut::<crate::sim::state::Insiders>();
        assert!(ins.0[0].active);
        // No act or precursor of its own in this window: only the forced act below.
        ins.0[0].next_action = f64::INFINITY;
        ins.0[0].next_precursor = f64::INFINITY;
    }
    sim.world.write_message(crate::sim::state::ActNow {
        insider: crate::ids::InsiderIx::new(0),
        t: 0.8,
    });
    sim.run(crate::sim::insider::apply_insider_actions);
    assert_eq!(sim.tally().exposure, 15.0);
    assert_eq!(sim.link_state("a", "b").exposure, 7.5);
    // `a` holds only the item it gave (its own): all 7.5 is its loss as originator.
    assert_eq!(sim.link_state("a", "b").origin_exposure, 7.5);
    // The link that delivered nothing to `b` (o → a) is not charged.
    assert_eq!(sim.link_state("o", "a").exposure, 0.0);
    assert_eq!(sim.link_state("o", "a").origin_exposure, 0.0);
}

#[test]
fn an_insider_leak_is_charged_back_along_the_partnerships_that_carried_the_holdings() {
    // o → a → b: `a` received the item from `o` and relayed it to `b`, where an insider leaks
    // (Analyst access 5 × mean sensitivity held 3 = 15). Link a → b carries all `b` holds
    // (3 of 3); link o → a carries 3 of the 3 + 3 `a` holds (its own observation too), so it
    // is charged half of a → b's 15.
    let body = format!(
        "{}\n  insiders: [(id: \"x\", agency: \"b\", access: Analyst, action: Leak,\n    precursors_per_month: 1.0, report_probability: 0.1, actions_per_month: 1.0)],",
        net(
            &needs("vetting: None"),
            r#"agreement: Mou, channels: ["c"]"#,
            "Unclassified, tlp: Green",
            "sensitivity: 3.0",
        )
    );
    let mut sim = Sim::new(&body);
    let relayed = sim.observe("t", "o", 0.0);
    sim.observe("t", "a", 0.1);
    sim.send(relayed, "o", "a", 0.2);
    sim.at(0).refresh().run(deliver_items);
    sim.send(relayed, "a", "b", 1.5);
    sim.at(1).refresh().run(deliver_items);
    assert_eq!(sim.link_state("o", "a").received, 3.0);
    assert_eq!(sim.link_state("a", "b").received, 3.0);
    {
        let mut ins = sim.world.resource_mut::<crate::sim::state::Insiders>();
        ins.0[0].next_action = f64::INFINITY;
        ins.0[0].next_precursor = f64::INFINITY;
    }
    sim.world.write_message(crate::sim::state::ActNow {
        insider: crate::ids::InsiderIx::new(0),
        t: 1.8,
    });
    sim.run(crate::sim::insider::apply_insider_actions);
    assert_eq!(sim.tally().exposure, 15.0);
    assert_eq!(sim.link_state("a", "b").exposure, 15.0);
    assert_eq!(sim.link_state("o", "a").exposure, 7.5);
    // The originators: half of what `a` held was its own observation (7.5 of the 15 that
    // left over a → b); everything `o` held was its own (7.5 over o → a). Together they
    // account for the whole exposure.
    assert_eq!(sim.link_state("a", "b").origin_exposure, 7.5);
    assert_eq!(sim.link_state("o", "a").origin_exposure, 7.5);
}
