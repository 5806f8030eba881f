#!/usr/bin/env python3
"""Generate scenarios/national-exercise.ron, the "National Storm" scenario (domain primer §8 G).

The network is too large to write by hand (about 360 agencies and 800 partnerships), so this
script lays it out from a few tables: the ten CISA regions and their states, the recognized
(major urban area) fusion centers, the private companies by sector, and the federal core.
Everything random here is drawn from a fixed seed, so the output is byte-identical on every
run: regenerate with

    python3 scenarios/tools/gen-national.py > scenarios/national-exercise.ron

and commit both files together. The calibration constants (collection, trust, service times,
objective targets) sit in the CONSTANTS block below; each is a modelling guess [G] unless a
comment cites the primer.
"""

import random

RNG = random.Random(20240415)  # Cyber Storm IX ran in April 2024 [S]

# ---------------------------------------------------------------------------------------------
# CONSTANTS (calibration knobs) [G]
# ---------------------------------------------------------------------------------------------
DURATION_H = 84  # three and a half days of play
WAVE_STARTS = {"foodag": 0, "health": 18, "energy": 36, "finance": 54}
OBJ_SA_COVERAGE = 0.93  # O1: share of need-to-know agencies holding wave-1 indicators at 24 h
OBJ_SECTOR_COVERAGE = 0.60  # O2: share holding the healthcare wave within 12 h
OBJ_ADVISORY_H = 26  # O3: joint advisory on wave 1 within this many hours of its start
OBJ_WARNING_H = 14  # O4: public message within this many hours of the rumor's start
OBJ_LEAK = 5.0  # O5: leak exposure at most this

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
# CISA regions and their states and territories [S cisa.gov regional offices].
REGIONS = {
    1: ["CT", "ME", "MA", "NH", "RI", "VT"],
    2: ["NJ", "NY", "PR", "VI"],
    3: ["DE", "DC", "MD", "PA", "VA", "WV"],
    4: ["AL", "FL", "GA", "KY", "MS", "NC", "SC", "TN"],
    5: ["IL", "IN", "MI", "MN", "OH", "WI"],
    6: ["AR", "LA", "NM", "OK", "TX"],
    7: ["IA", "KS", "MO", "NE"],
    8: ["CO", "MT", "ND", "SD", "UT", "WY"],
    9: ["AZ", "CA", "HI", "NV", "GU", "MP", "AS"],
    10: ["AK", "ID", "OR", "WA"],
}
# FBI field offices: one per region in this model (there are 55 in life [S]); the city is the
# region's largest office [M].
FBI_FO = {
    1: "Boston", 2: "New York", 3: "Washington", 4: "Atlanta", 5: "Chicago",
    6: "Dallas", 7: "Kansas City", 8: "Denver", 9: "Los Angeles", 10: "Seattle",
}
# Recognized (major urban area) fusion centers: 24 metro labels, with the state whose primary
# center they work with. Illustrative [G]; the real list changes year to year.
RECOGNIZED = [
    ("boston", "Boston", "MA"), ("nyc", "New York City", "NY"), ("nnj", "Northern New Jersey", "NJ"),
    ("philly", "Philadelphia", "PA"), ("ncr", "National Capital Region", "DC"),
    ("miami", "Miami-Dade", "FL"), ("cfl", "Central Florida", "FL"), ("atl", "Atlanta", "GA"),
    ("chicago", "Chicago", "IL"), ("detroit", "Detroit", "MI"), ("cincy", "Cincinnati", "OH"),
    ("houston", "Houston", "TX"), ("dallas", "North Central Texas", "TX"),
    ("austin", "Austin", "TX"), ("kc", "Kansas City", "MO"), ("stl", "St. Louis", "MO"),
    ("denver", "Denver", "CO"), ("la", "Los Angeles", "CA"), ("sd", "San Diego", "CA"),
    ("sf", "Bay Area", "CA"), ("sac", "Sacramento", "CA"), ("lv", "Southern Nevada", "NV"),
    ("phx", "Phoenix", "AZ"), ("seattle", "Puget Sound", "WA"),
]
# Sectors in play: the Cyber Storm IX wave order [S: impacts began in Food and Agriculture and
# spread]; the later order is a guess [G]. Each has an ISAC and a sector risk management agency.
SECTORS = [
    # key, label, ISAC id, ISAC name, SRMA id, SRMA name, companies, wave threat
    ("foodag", "Food and Agriculture", "fa_isac", "Food and Ag-ISAC",
     "usda", "USDA (Food and Agriculture sector risk management agency)", 16, "wave_foodag"),
    ("health", "Healthcare and Public Health", "h_isac", "Health-ISAC",
     "hhs_aspr", "HHS ASPR (Healthcare sector risk management agency)", 16, "wave_health"),
    ("energy", "Energy", "e_isac", "E-ISAC (electricity)",
     "doe_ceser", "DOE CESER (Energy sector risk management agency)", 16, "wave_energy"),
    ("finance", "Financial Services", "fs_isac", "FS-ISAC",
     "treasury", "Treasury OCCIP (Financial Services sector risk management agency)", 16,
     "wave_finance"),
    ("water", "Water and Wastewater", "water_isac", "WaterISAC",
     "epa_water", "EPA Water Security Division (Water sector risk management agency)", 8, None),
]
CLOUDS = [("cloud_a", "Hyperscale cloud provider A"), ("cloud_b", "Hyperscale cloud provider B"),
          ("cloud_c", "Hyperscale cloud provider C"), ("cloud_saas", "SaaS identity provider"),
          ("cloud_msp", "Cloud managed-service provider (administers tenants for many customers)")]
IR_VENDORS = [(f"ir_{i}", f"Incident-response firm {c}") for i, c in enumerate("ABCDEF", 1)]
CERTS = [("cccs", "Canadian Centre for Cyber Security"), ("ncsc_uk", "UK National Cyber Security Centre"),
         ("acsc", "Australian Cyber Security Centre"), ("cert_eu", "CERT-EU")]

# ---------------------------------------------------------------------------------------------
# Output helpers
# ---------------------------------------------------------------------------------------------
out = []


def w(line=""):
    out.append(line)


agencies = []  # (id, text, comment)
partnerships = []  # dicts
variant_changes = {}


def agency(id_, name, kind, region, extra, comment=None):
    agencies.append((id_, f'(id: "{id_}", name: "{name}", kind: {kind}, region: "{region}",\n'
                           f'         {extra}),', comment))


def fmt_f(x):
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return s if "." in s else s + ".0" if False else s


def partner(a, b, agreement, channels, trust, share, tlp=None, extra="", one_way=False, pid=None):
    pid = pid or f"{a}__{b}"
    p = {"id": pid, "from": a, "to": b, "agreement": agreement, "channels": channels,
         "trust": trust, "share": share, "tlp": tlp, "extra": extra, "one_way": one_way}
    partnerships.append(p)
    return pid


def ptext(p):
    ch = ", ".join(f'"{c}"' for c in p["channels"])
    s = f'(id: "{p["id"]}", from: "{p["from"]}", to: "{p["to"]}", '
    if p["one_way"]:
        s += "direction: OneWay, "
    if p["agreement"] != "None" or not p["one_way"]:
        s += f'agreement: {p["agreement"]},'
    s += f'\n         channels: [{ch}], trust: {fmt_f(p["trust"])}, share_probability: {fmt_f(p["share"])}'
    if p["tlp"]:
        s += f', max_tlp: {p["tlp"]}'
    if p["extra"]:
        s += f",\n         {p['extra']}"
    return s + "),"


def jitter(x, spread=0.05):
    return round(min(0.95, max(0.05, x + RNG.uniform(-spread, spread))), 2)


# ---------------------------------------------------------------------------------------------
# Agencies
# ---------------------------------------------------------------------------------------------
FED_SLOW = "service_time: LogNormal(median: hours(1.5), p95: hours(6))"
FC_SERVICE = "service_time: LogNormal(median: hours(2), p95: hours(8))"

sections = []  # (heading comment lines, list of agency ids) for readable grouping


def section(comment_lines):
    sections.append((comment_lines, len(agencies)))


section([
    "--- Federal core. CISA HQ hosts the Joint Cyber Defense Collaborative (JCDC) and is the",
    "only agency that issues the joint advisory (acts_on Cyber, a Warn action): it acts once",
    "it holds enough corroborating analysed items [S roles §1.1, G values].",
])
agency("cisa_hq", "CISA HQ and JCDC (joint cyber defense planning)", "FederalComponent", "National",
       f"clearance: TopSecret, analysts: 8, {FED_SLOW},\n         needs: [Cyber], acts_on: [Cyber],\n"
       "         // Loss of operational control [G]: the joint advisory is co-authored with cloud\n"
       "         // provider B, so while B's JCDC channel is paused (I-06) CISA cannot issue it.\n"
       "         depends_on: [(partner: \"cloud_b\", function: Action)]")
agency("cisa_central", "CISA Central (24/7 operations, NCCIC watch floor)", "FederalComponent", "National",
       "clearance: TopSecret, analysts: 10,\n         service_time: LogNormal(median: minutes(45), p95: hours(3)), needs: [Cyber]")
agency("fbi_cywatch", "FBI CyWatch (24/7 cyber operations center)", "FederalLawEnforcement", "National",
       "clearance: TopSecret, analysts: 6,\n         service_time: LogNormal(median: hours(1), p95: hours(4)), needs: [Cyber]")
agency("nsa_ccc", "NSA Cybersecurity Collaboration Center", "IntelligenceCommunity", "National",
       "clearance: TopSecret, analysts: 4, collection: {Cyber: 0.05}")
agency("dhs_ia", "DHS Office of Intelligence and Analysis (cyber mission center)", "FederalComponent",
       "National", "clearance: TopSecret, analysts: 3,\n         service_time: LogNormal(median: hours(4), p95: days(1)), needs: [Cyber]")
agency("national_jic", "National Joint Information Center (DHS Office of Public Affairs)",
       "FederalComponent", "National",
       "analysts: 3, service_time: LogNormal(median: minutes(40), p95: hours(3)),\n         needs: [Rumor], acts_on: [Rumor]")
agency("fema_nrcc", "FEMA National Response Coordination Center", "FederalComponent", "National",
       "clearance: Secret, analysts: 4, needs: [Cyber, Rumor]")
agency("tsa_surface", "TSA Surface Operations (pipeline security directives)", "FederalComponent",
       "National", "clearance: Secret, analysts: 2, needs: [Cyber]")
for key, label, isac, isac_name, srma, srma_name, n, wave in SECTORS:
    agency(srma, srma_name, "FederalComponent", "National",
           "clearance: Secret, analysts: 2,\n         service_time: LogNormal(median: hours(2), p95: hours(8)), needs: [Cyber]")

section([
    "--- CISA regions and FBI field offices, one each per region (ten regions) [S regions].",
])
for r in REGIONS:
    agency(f"cisa_r{r}", f"CISA Region {r}", "FederalComponent", f"Region {r}",
           f"clearance: TopSecret, analysts: 3, {FED_SLOW}, needs: [Cyber]")
    agency(f"fbi_r{r}", f"FBI {FBI_FO[r]} Field Office (cyber squad)", "FederalLawEnforcement",
           f"Region {r}", f"clearance: TopSecret, analysts: 3, {FED_SLOW}, needs: [Cyber]")

section([
    "--- ISACs: member relays for their sectors [S §1.1]. MS-ISAC serves every state and local",
    "government, so it is the fusion centers' cyber hub.",
])
agency("ms_isac", "MS-ISAC (state, local, tribal and territorial governments)", "Isac", "National",
       "analysts: 6, service_time: LogNormal(median: hours(1), p95: hours(4)), needs: [Cyber]")
for key, label, isac, isac_name, srma, srma_name, n, wave in SECTORS:
    agency(isac, isac_name, "Isac", "National",
           "analysts: 3, service_time: LogNormal(median: hours(1), p95: hours(4)), needs: [Cyber]")

section([
    "--- International partners: four national CERTs (Cyber Storm IX had 9 partner countries",
    "[S]). They see the same cloud infrastructure abused abroad.",
])
for cid, cname in CERTS:
    agency(cid, cname, "International", "Abroad",
           "clearance: Secret, analysts: 3, collection: {Cyber: 0.03}, needs: [Cyber]")

section([
    "--- Fusion centers: 56 primary (one per state and territory) and 24 recognized major urban",
    "area centers, 80 in all (about 80 today [M §1.1]). Analysis is the bottleneck: two to five",
    "analysts on the cyber desk, two hours median per item [G].",
])
primaries = {}
for r, states in REGIONS.items():
    for st in states:
        fid = f"fc_{st.lower()}"
        primaries[st] = (fid, r)
        agency(fid, f"{st} State Fusion Center (primary)", "FusionCenter", f"Region {r} ({st})",
               f"clearance: Secret, analysts: {RNG.choice([2, 3, 3, 4, 5])}, {FC_SERVICE},\n"
               "         collection: {Rumor: 0.02}, needs: [Cyber, Rumor]")
recognized = []
for key, metro, st in RECOGNIZED:
    fid = f"mfc_{key}"
    r = primaries[st][1]
    recognized.append((fid, st, r))
    agency(fid, f"{metro} Fusion Center (recognized)", "FusionCenter", f"Region {r} ({st})",
           f"clearance: Secret, analysts: {RNG.choice([2, 2, 3])}, {FC_SERVICE},\n"
           "         needs: [Cyber, Rumor]")

section([
    "--- Local partners of each primary fusion center: the state police intelligence unit and",
    "the state EOC everywhere, plus a state-owned utility or a public hospital in every other",
    "state (about 2.5 each). Police need only rumors; EOCs relay (hub kind) and need both.",
])
locals_by_state = {}
for i, (st, (fid, r)) in enumerate(primaries.items()):
    ids = []
    pid = f"sp_{st.lower()}"
    agency(pid, f"{st} State Police (intelligence unit)", "SlttLawEnforcement", f"Region {r} ({st})",
           "analysts: 2, needs: [Rumor]")
    ids.append(pid)
    eid = f"eoc_{st.lower()}"
    agency(eid, f"{st} State Emergency Operations Center", "Eoc", f"Region {r} ({st})",
           "analysts: 2, service_time: LogNormal(median: hours(1), p95: hours(4)), needs: [Cyber, Rumor]")
    ids.append(eid)
    if i % 3 == 1:
        uid = f"util_{st.lower()}"
        agency(uid, f"{st} public power and water utility", "CriticalInfrastructure", f"Region {r} ({st})",
               "analysts: 1, needs: [Cyber]")
        ids.append(uid)
    elif i % 3 == 2:
        hid = f"hosp_{st.lower()}"
        agency(hid, f"{st} public hospital system", "CriticalInfrastructure", f"Region {r} ({st})",
               "analysts: 1, needs: [Cyber]")
        ids.append(hid)
    locals_by_state[st] = ids

section([
    "--- Private sector: 72 owners and operators in the five sectors in play, five cloud and",
    "identity providers and six incident-response firms (Cyber Storm IX: 80+ companies [S]).",
    "Each operator sees the intrusions in its own cloud tenants (collection on its wave's",
    "threat only, through observed_by) [G].",
])
companies = {}  # sector key -> [(id, state)]
all_states = list(primaries)
for key, label, isac, isac_name, srma, srma_name, n, wave in SECTORS:
    companies[key] = []
    for j in range(1, n + 1):
        cid = f"{key}_{j:02d}"
        st = RNG.choice(all_states)
        kind = "CriticalInfrastructure"
        analysts = RNG.choice([1, 2, 2, 3, 4])
        coll = "collection: {Cyber: 0.12}, " if wave else ""
        agency(cid, f"{label} company {j:02d}", kind, f"Region {primaries[st][1]} ({st})",
               f"analysts: {analysts}, {coll}needs: [Cyber]")
        companies[key].append((cid, st))
for cid, cname in CLOUDS:
    extra = "analysts: 8, service_time: LogNormal(median: minutes(45), p95: hours(3)),\n         collection: {Cyber: 0.05}, needs: [Cyber]"
    if cid == "cloud_msp":
        # The vendor whose tenant administrator is the insider (below): Basic vetting
        # (self-attestation) and light monitoring [G].
        extra = "analysts: 4, collection: {Cyber: 0.03}, needs: [Cyber],\n         vetting: Basic, monitoring: 0.4"
    agency(cid, cname, "PrivateSector", "National", extra)
for vid, vname in IR_VENDORS:
    agency(vid, vname, "PrivateSector", "National",
           "analysts: 5, service_time: LogNormal(median: hours(1), p95: hours(4)),\n         collection: {Cyber: 0.04}, needs: [Cyber]")

section(["--- The public, news and social media: where the rumor starts and warnings land."])
agency("public", "Public, news and social media", "Public", "National",
       "clearance: Unclassified, analysts: 20,\n         service_time: Exponential(mean: minutes(15)), collection: {Rumor: 0.8}")

# ---------------------------------------------------------------------------------------------
# Partnerships
# ---------------------------------------------------------------------------------------------
psections = []


def psection(lines):
    psections.append((lines, len(partnerships)))


psection([
    "--- Federal core: CISA HQ and CISA Central with the FBI, NSA, I&A, FEMA, TSA, the SRMAs and",
    "the JCDC collaboration channel [S roles, G values].",
])
partner("cisa_hq", "cisa_central", "Mou", ["jcdc", "phone"], 0.85, 0.9)
partner("cisa_hq", "fbi_cywatch", "Mou", ["jcdc", "phone", "email"], 0.7, 0.75)
partner("cisa_central", "fbi_cywatch", "Mou", ["phone", "email"], 0.7, 0.75)
partner("cisa_hq", "nsa_ccc", "Mou", ["jcdc", "email"], 0.65, 0.7)
partner("cisa_hq", "dhs_ia", "Mou", ["hsin", "email"], 0.7, 0.7)
partner("cisa_hq", "national_jic", "Mou", ["phone", "email"], 0.75, 0.8)
partner("cisa_central", "fema_nrcc", "Mou", ["phone", "email"], 0.7, 0.75)
partner("cisa_central", "tsa_surface", "Mou", ["email", "phone"], 0.65, 0.7)
partner("fema_nrcc", "national_jic", "Mou", ["phone"], 0.75, 0.8)
for key, label, isac, isac_name, srma, srma_name, n, wave in SECTORS:
    partner("cisa_central", srma, "Mou", ["email", "phone"], 0.65, 0.7)
    partner(srma, isac, "Mou", ["email", "phone"], 0.65, 0.7)

psection(["--- CISA and FBI regional structure [S regions, G values]."])
for r in REGIONS:
    partner(f"cisa_r{r}", "cisa_central", "Mou", ["hsin", "phone"], 0.8, 0.8)
    partner(f"fbi_r{r}", "fbi_cywatch", "Mou", ["leep", "phone"], 0.8, 0.8)
    partner(f"cisa_r{r}", f"fbi_r{r}", "Mou", ["phone", "email"], 0.65, 0.65)

psection([
    "--- ISACs: to CISA over AIS (CISA 2015 protections) and MS-ISAC to every primary fusion",
    "center. The fusion-center edges run over e-mail and HSIN today: the technology variant",
    "moves them to AIS [S AIS, G values].",
])
partner("ms_isac", "cisa_central", "Cisa2015", ["ais", "phone"], 0.75, 0.8)
for key, label, isac, isac_name, srma, srma_name, n, wave in SECTORS:
    partner(isac, "cisa_central", "Cisa2015", ["ais", "email"], 0.65, 0.7)
isac_fc_edges = []
for st, (fid, r) in primaries.items():
    # MS-ISAC serves its SLTT members by mission: it expects a fifth of what it gives back
    # (the equity of exchange, docs/model.md §7) [G].
    isac_fc_edges.append(partner("ms_isac", fid, "Mou", ["email", "hsin"], jitter(0.6), jitter(0.6),
                                 extra="expected_equity: 0.2"))

psection([
    "--- Fusion centers: each primary center with its CISA region, its FBI field office, its",
    "neighbour in the region (a ring) and its local partners; each recognized center with its",
    "state's primary center and its CISA region [G].",
])
for r, states in REGIONS.items():
    for i, st in enumerate(states):
        fid = primaries[st][0]
        partner(fid, f"cisa_r{r}", "Mou", ["hsin", "phone", "email"], jitter(0.65), jitter(0.65))
        partner(fid, f"fbi_r{r}", "Mou", ["leep", "phone"], jitter(0.6), jitter(0.6))
        nxt = primaries[states[(i + 1) % len(states)]][0]
        if nxt != fid and len(states) > 1:
            partner(fid, nxt, "Mou", ["hsin", "phone"], jitter(0.6), jitter(0.55))
for fid, st, r in recognized:
    partner(primaries[st][0], fid, "Mou", ["hsin", "phone"], jitter(0.7), jitter(0.65))
    partner(fid, f"cisa_r{r}", "Mou", ["hsin", "email"], jitter(0.6), jitter(0.6))
# Ten primary centers host I&A intelligence officers with HSIN-Intel access [S roles, G].
for r in REGIONS:
    partner("dhs_ia", primaries[REGIONS[r][0]][0], "Mou", ["hsin"], 0.6, 0.55)

psection(["--- Local partners: each with its state's primary center; police with the EOC [G]."])
for st, ids in locals_by_state.items():
    fid = primaries[st][0]
    for lid in ids:
        if lid.startswith("sp_"):
            partner(fid, lid, "Cfr28Part23", ["leep", "phone"], jitter(0.75), jitter(0.7))
        elif lid.startswith("eoc_"):
            partner(fid, lid, "Mou", ["webeoc", "hsin", "phone"], jitter(0.7), jitter(0.7))
        else:
            partner(lid, fid, "Mou", ["email", "phone"], jitter(0.6), jitter(0.55))
            partner(lid, f"eoc_{st.lower()}", "Mou", ["webeoc", "phone"], jitter(0.65), jitter(0.6))
    partner(f"sp_{st.lower()}", f"eoc_{st.lower()}", "Mou", ["phone"], jitter(0.75), jitter(0.7))

psection([
    "--- Companies: each with its sector ISAC, about a third with their state's fusion center",
    "(liaison programs), and each with one cloud provider (customer contract). Half of the ISAC",
    "memberships and every fusion-center liaison edge have no agreement: only CLEAR and GREEN",
    "items cross them, so the AMBER indicators do not (the agreements variant fixes this) [G].",
])
cloud_ids = [c for c, _ in CLOUDS]
no_agreement_edges = []
for key, label, isac, isac_name, srma, srma_name, n, wave in SECTORS:
    for j, (cid, st) in enumerate(companies[key]):
        if j % 2 == 0:
            partner(cid, isac, "Nda", ["email", "phone"], jitter(0.6), jitter(0.6))
        else:
            no_agreement_edges.append(
                partner(cid, isac, "None", ["email", "phone"], jitter(0.5), jitter(0.5), tlp="Green"))
        if j % 3 == 0:
            no_agreement_edges.append(
                partner(cid, primaries[st][0], "None", ["email", "phone"], jitter(0.5), jitter(0.45),
                        tlp="Green"))
        # Customer notices from a cloud provider are TLP:GREEN [G]: the contract does not
        # carry the AMBER indicators.
        partner(cid, cloud_ids[(j + len(key)) % len(cloud_ids)], "Contract", ["email"], jitter(0.6),
                jitter(0.5), tlp="Green")

psection([
    "--- Cloud providers and IR firms: JCDC partners of CISA HQ (Contract and CISA 2015), IR",
    "firms with the FBI; each IR firm retained by three or four operators. The cloud MSP",
    "administers tenants for operators in every sector [S JCDC partners, G values].",
])
jcdc_edges = []
for cid, _ in CLOUDS:
    jcdc_edges.append(partner(cid, "cisa_hq", "Cisa2015", ["jcdc", "email"], jitter(0.6), jitter(0.6)))
for vid, _ in IR_VENDORS:
    jcdc_edges.append(partner(vid, "cisa_hq", "Cisa2015", ["jcdc", "email"], jitter(0.55), jitter(0.55)))
    partner(vid, "fbi_cywatch", "Mou", ["phone", "email"], jitter(0.6), jitter(0.6))
all_ops = [c for k in companies for c, _ in companies[k]]
RNG.shuffle(all_ops)
for i, cid in enumerate(all_ops[:22]):
    vid = IR_VENDORS[i % len(IR_VENDORS)][0]
    partner(cid, vid, "Contract", ["phone", "email"], jitter(0.65), jitter(0.55))
# The links into the cloud MSP that its administrator's leak would damage: partners withdraw
# when trust falls below 0.45 [G].
msp_edges = []
for other in ["cisa_hq", "fbi_cywatch", "ms_isac", "h_isac", "e_isac"]:
    msp_edges.append(partner(other, "cloud_msp", "Nda", ["email", "phone"], 0.55, 0.5,
                             extra="withdraw_below: 0.45"))

psection(["--- International CERTs with CISA and the FBI [S Cyber Storm partner countries, G]."])
for cid, _ in CERTS:
    partner(cid, "cisa_central", "Mou", ["email", "phone"], jitter(0.6), jitter(0.55))
partner("cccs", "fbi_cywatch", "Mou", ["email"], 0.6, 0.5)
partner("ncsc_uk", "fbi_cywatch", "Mou", ["email"], 0.6, 0.5)

psection([
    "--- Public messaging: the National JIC and every state EOC reach the public; the public",
    "tips the JIC and the fusion centers (one-way, CLEAR only) [G].",
])
partner("national_jic", "public", "None", ["press"], 0.6, 0.8, tlp="Clear", one_way=True)
partner("public", "national_jic", "None", ["press", "phone"], 0.5, 0.4, tlp="Clear", one_way=True)
for st in list(primaries)[::4]:
    partner("public", primaries[st][0], "None", ["phone"], 0.5, 0.3, tlp="Clear", one_way=True)
for st in primaries:
    # FEMA supports the state EOCs by mission and expects a fifth back [G].
    partner(f"eoc_{st.lower()}", "fema_nrcc", "Mou", ["webeoc", "phone"], jitter(0.7), jitter(0.6),
            extra="expected_equity: 0.2")

# ---------------------------------------------------------------------------------------------
# Write
# ---------------------------------------------------------------------------------------------
n_ag = len(agencies)
n_p = len(partnerships)
n_fc = 56 + len(RECOGNIZED)
n_locals = sum(len(v) for v in locals_by_state.values())
n_fed = sum(1 for a in agencies if ('"FederalComponent"' in a[1] or "kind: FederalComponent" in a[1]
                                    or "kind: FederalLawEnforcement" in a[1]
                                    or "kind: IntelligenceCommunity" in a[1]))
n_priv = sum(len(v) for v in companies.values()) + len(CLOUDS) + len(IR_VENDORS)
n_isac = 1 + len(SECTORS)

HEADER = f"""// National Storm: a national cyber exercise in the style of CISA's Cyber Storm series
// (domain primer §8 G). A cloud-misconfiguration campaign spreads sector by sector over three
// and a half days; about {n_ag} federal, state, local, private and international players must
// build national situational awareness, cover each sector, agree a joint advisory and answer a
// disinformation rumor.
//
// GENERATED FILE: edit scenarios/tools/gen-national.py and regenerate with
//     python3 scenarios/tools/gen-national.py > scenarios/national-exercise.ron
//
// The case [S: CISA Cyber Storm pages and recaps, primer §8 G]
// - Cyber Storm is CISA's biennial national cyber exercise, mandated by Congress and run since
//   February 2006, with public, private and international players. It validates
//   information-sharing relationships and communication paths.
// - Cyber Storm VIII (March 2022): 2,000+ participants from about 200 organisations.
// - Cyber Storm IX (April 2024): 2,200+ players from about 300 organisations: 80+ private
//   companies, 35 federal departments and agencies, 11 states and 9 partner countries. The
//   adversary exploited common cloud misconfigurations; impacts began in Food and Agriculture
//   and spread to many sectors; play included cloud and incident-response vendors, public
//   messaging and federal reporting.
// The network below is a simulated counterpart, not the real player list: names of companies
// are generic, fusion-center metro labels are illustrative, and every number tagged [G] is a
// modelling guess (primer §0 tags).
//
// Structure ({n_ag} agencies, {n_p} partnerships, about {2 * n_p / n_ag:.1f} per agency)
// - {n_fed} federal components: CISA HQ/JCDC (the only agency that issues the joint advisory),
//   CISA Central, ten CISA regions, FBI CyWatch and ten field offices, NSA, I&A, FEMA, TSA, the
//   five sector risk management agencies, the National Joint Information Center.
// - {n_fc} fusion centers: 56 primary (one per state and territory) and 24 recognized; each
//   primary center has 2-3 local partners ({n_locals} in all: state police, state EOC, a public
//   utility or hospital).
// - {n_isac} ISACs (MS-ISAC, Food and Ag-ISAC, Health-ISAC, E-ISAC, FS-ISAC, WaterISAC).
// - {n_priv} private companies: 72 operators in five sectors, 5 cloud and identity providers,
//   6 incident-response firms; 4 international CERTs; the public.
// Hubs: CISA, the FBI, the ISACs and the primary fusion centers. Threats: four sector waves of
// the cloud campaign (Food and Agriculture at 0 h, Healthcare at 18 h, Energy at 36 h,
// Financial Services at 54 h; about one signal an hour while two waves overlap), each observed
// only by its sector's companies and the cloud and IR vendors, plus a disinformation rumor.
//
// What to look for: how far the TLP:AMBER indicators reach when half the ISAC memberships and
// every company-to-fusion-center liaison edge lack an agreement (GREEN only); the fusion
// centers' analysis queues under a national flood of indicators; how long CISA needs to
// gather enough corroboration for a joint advisory; the vendor's legal hold; an insider at
// the cloud managed-service provider; and the race between a viral rumor and the public
// message.
//
// Time zero: Monday 08:00 ET, STARTEX. {DURATION_H} hours, 15-minute steps ({DURATION_H * 4} ticks)."""

w(HEADER)
w("(")
w("""    exercise: (
        name: "National Storm: a cloud-misconfiguration campaign across sectors",
        description: "An adversary abuses common cloud misconfigurations (exposed storage, over-privileged service accounts, a compromised tenant administrator at a managed-service provider) to steal data and extort companies, first in Food and Agriculture, then in Healthcare, Energy and Financial Services. Federal, state, local, private and international partners must build a national picture, reach every sector, agree a joint advisory and counter a rumor that a cloud breach has frozen bank accounts.",
        marking: "TLP:AMBER",""")
w(f"        duration: hours({DURATION_H}),")
w("""        tick: minutes(15),
        mission_areas: [Prevention, Protection, Response],
        exercise_type: Game,
        sponsor: "CISA National Exercise Program (simulated counterpart; fictional)",
        poc: "Exercise Planning Team lead (fictional)",
        start_label: "Monday 08:00 ET (STARTEX)",
    ),

    model: (
        // Pant & Yu defaults [S]; a joint advisory needs four corroborating analysed items.
        trust_gain: 0.05,
        negativity_bias: 3.0,
        default_corroboration: 1,
    ),
""")
w("    agencies: [")
sec_i = 0
for idx, (aid, text, comment) in enumerate(agencies):
    while sec_i < len(sections) and sections[sec_i][1] == idx:
        if idx:
            w()
        for line in sections[sec_i][0]:
            w(f"        // {line}")
        sec_i += 1
    w(f"        {text}")
w("    ],")
w("""
    // Channels (primer §2): max levels [S], latencies and outages [G].
    channels: [
        (id: "phone", name: "Telephone (unsecured)", max_class: Cui,
         latency: LogNormal(median: minutes(10), p95: minutes(40))),
        (id: "email", name: "Organizational e-mail", max_class: Cui,
         // 5 min-4 h depending on who watches the inbox; a national flood fills inboxes [G].
         latency: LogNormal(median: hours(1), p95: hours(6))),
        (id: "hsin", name: "HSIN (SBU; the fusion-center hub)", max_class: Cui,
         latency: LogNormal(median: minutes(45), p95: hours(4)),
         reliability: Some((mtbf: hours(4000), mttr: hours(6)))),
        (id: "leep", name: "LEEP (FBI SBU portal)", max_class: Cui,
         latency: LogNormal(median: hours(1), p95: hours(8))),
        (id: "webeoc", name: "WebEOC (emergency management common operating picture)", max_class: Cui,
         latency: LogNormal(median: minutes(20), p95: hours(1.5))),
        (id: "ais", name: "CISA AIS (STIX/TAXII, machine speed)", max_class: Cui,
         latency: LogNormal(median: minutes(5), p95: minutes(30))),
        (id: "jcdc", name: "JCDC collaboration channel (shared chat and calls)", max_class: Cui,
         latency: LogNormal(median: minutes(20), p95: hours(2))),
        (id: "press", name: "Press releases, alerts and social media", max_class: Unclassified,
         latency: LogNormal(median: minutes(15), p95: hours(1))),
    ],
""")
w("    partnerships: [")
sec_i = 0
for idx, p in enumerate(partnerships):
    while sec_i < len(psections) and psections[sec_i][1] == idx:
        if idx:
            w()
        for line in psections[sec_i][0]:
            w(f"        // {line}")
        sec_i += 1
    w(f"        {ptext(p)}")
w("    ],")

# Threats -------------------------------------------------------------------------------------
w("""
    threats: [""")
vendors_obs = ", ".join(f'"{c}"' for c in cloud_ids + [v for v, _ in IR_VENDORS] + [c for c, _ in CERTS] + ["nsa_ccc"])
for key, label, isac, isac_name, srma, srma_name, n, wave in SECTORS:
    if not wave:
        continue
    obs = ", ".join(f'"{c}"' for c, _ in companies[key])
    start = WAVE_STARTS[key]
    first = key == "foodag"
    interval = "hours(1)" if first else "hours(2)"
    w(f"""        (
            id: "{wave}",
            name: "Cloud campaign, {label} wave",
            kind: Cyber,
            start: hours({start}),""")
    if first:
        w("            // Exposed buckets, abused service accounts, extortion notes: about one new")
        w("            // observable trace an hour across the sector's tenants [G].")
    w(f"""            signal_interval: Exponential(mean: {interval}),
            observed_by: [{obs},
                          {vendors_obs}],
            marking: (class: Cui, tlp: Amber),
            sensitivity: 1.0,
            perishability: Some(days(2)),""")
    if first:
        w("            // The joint advisory: CISA HQ/JCDC acts once it holds four corroborating")
        w("            // analysed items; drafting and coordinating with the JCDC partners takes")
        w("            // half a day to a day and a half [G].")
    w("""            response: (action: Warn, corroboration: Some(4),
                       time_to_act: LogNormal(median: hours(12), p95: hours(30))),
        ),""")
w("""        (
            id: "bank_rumor",
            name: "Rumor: a cloud breach has frozen bank accounts nationwide",
            kind: Rumor,
            start: hours(30),
            signal_interval: Exponential(mean: hours(1.5)),
            observed_by: ["public"],
            marking: (class: Unclassified, tlp: Clear),
            sensitivity: 0.2,
            perishability: Some(hours(24)),
            deadline: Some(LogNormal(median: hours(24), p95: hours(60))),
            // The National JIC answers once two reports agree; clearing a message across
            // departments takes hours [G].
            response: (action: PublicWarning, corroboration: Some(2),
                       time_to_act: LogNormal(median: hours(4), p95: hours(12))),
        ),
    ],
""")

# Injects -------------------------------------------------------------------------------------
w("""    injects: [
        (id: "I-01", number: 1, trigger: At(hours(0)),
         synopsis: "A food processor finds its customer database in an open storage bucket and an extortion e-mail.",
         effect: Signal(threat: "wave_foodag", at: "foodag_01"),
         from: "SimCell (food processor CISO)", to: ["foodag_01", "fa_isac"], delivery: "phone call",
         expected_action: "The company reports to its ISAC, its cloud provider and CISA.",
         objectives: ["O1-national-sa"], capability: Some(Cybersecurity)),
        (id: "I-02", number: 2, trigger: At(hours(2)),
         synopsis: "STARTEX brief: the exercise control cell reminds players of the federal reporting paths.",
         effect: Note,
         from: "Exercise control", to: ["cisa_hq", "fbi_cywatch"], delivery: "VTC",
         expected_action: "CISA Central opens a JCDC channel for the campaign.",
         capability: Some(OperationalCoordination)),
        (id: "I-03", number: 3, trigger: At(hours(8)), probability: 0.5,
         synopsis: "HSIN outage: the fusion centers lose their SBU portal for most of a shift.",
         effect: ChannelOutage("hsin"), duration: Some(hours(8)),
         from: "SimCell (HSIN help desk)", to: ["fc_va", "fc_ca", "fc_tx"], delivery: "phone",
         expected_action: "Fusion centers fall back to e-mail, phone trees and MS-ISAC.",
         objectives: ["O1-national-sa"], capability: Some(OperationalCommunications)),
        (id: "I-04", number: 4, trigger: AfterInject(inject: "I-01", delay: hours(6)),
         synopsis: "Counsel for IR firm A: client findings go to CISA only with each client's written consent (NDA).",
         effect: LegalHold("ir_1__cisa_hq"), duration: Some(hours(36)),
         from: "SimCell (IR firm counsel)", to: ["ir_1", "cisa_hq"], delivery: "e-mail",
         expected_action: "CISA asks the victims for consent; the firm shares through the FBI meanwhile.",
         objectives: ["O3-joint-advisory"], capability: Some(IntelligenceAndInformationSharing)),
        (id: "I-05", number: 5, trigger: At(hours(18)),
         synopsis: "A hospital system's patient portal is defaced; its cloud tenant was misconfigured the same way.",
         effect: Signal(threat: "wave_health", at: "health_01"),
         from: "SimCell (hospital CIO)", to: ["health_01", "h_isac"], delivery: "phone call",
         expected_action: "Health-ISAC links the intrusion to the Food and Agriculture campaign.",
         objectives: ["O2-sector-coverage"], capability: Some(SituationalAssessment)),
        (id: "I-06", number: 6, trigger: At(hours(24)), probability: 0.4,
         synopsis: "Cloud provider B pauses its JCDC channel after its name appears in a leaked federal briefing.",
         effect: Withdrawal("cloud_b__cisa_hq"), duration: Some(hours(24)),
         from: "SimCell (cloud provider B legal)", to: ["cloud_b", "cisa_hq"], delivery: "e-mail",
         expected_action: "CISA's JCDC lead calls the provider to agree attribution rules and restore the channel.",
         objectives: ["O3-joint-advisory"], capability: Some(OperationalCoordination)),
        (id: "I-07", number: 7, trigger: At(hours(30)),
         synopsis: "Viral posts: 'a cloud hack froze bank accounts nationwide; withdraw cash now'.",
         effect: FalseReport(threat: "bank_rumor", at: "public"),
         from: "SimCell (simulated social media)", to: ["national_jic", "fs_isac", "treasury"], delivery: "simulated social media",
         expected_action: "The National JIC, Treasury and FS-ISAC issue a coordinated public message.",
         objectives: ["O4-public-message"], capability: Some(PublicInformationAndWarning)),
        (id: "I-08", number: 8, trigger: At(hours(40)),
         synopsis: "A tenant administrator at the cloud MSP posts customer configuration files to a dark-web forum.",
         effect: InsiderAction("msp_admin"),
         from: "SimCell (simulated dark web)", to: ["cloud_msp", "fbi_cywatch"], delivery: "simulated dark-web post",
         expected_action: "The MSP revokes the administrator's access; partners review what they shared with it.",
         objectives: ["O5-leak", "O6-partners-stay"], capability: Some(AccessControlAndIdentityVerification)),
        (id: "I-09", number: 9,
         // Contingency: if no joint advisory by hour 36, the NSC asks CISA for one by morning.
         trigger: Contingency(unless: Acted("wave_foodag"), by: hours(36)),
         synopsis: "The National Security Council asks CISA for a joint advisory by morning.",
         effect: Signal(threat: "wave_foodag", at: "cisa_hq"),
         from: "SimCell (NSC)", to: ["cisa_hq"], delivery: "phone",
         expected_action: "CISA HQ convenes the JCDC partners to finish the advisory.",
         objectives: ["O3-joint-advisory"], capability: Some(OperationalCoordination)),
    ],
""")

# Insiders ------------------------------------------------------------------------------------
w("""    insiders: [
        // A tenant administrator at the cloud managed-service provider with access to many
        // customers' consoles [G; the CERT privileged-insider pattern, primer §4.3]. Active in
        // about one run in three (0.4 x 0.8 for Basic vetting); leaks what the MSP holds.
        (
            id: "msp_admin",
            agency: "cloud_msp",
            access: Privileged,
            action: Leak,
            activation_probability: 0.4,
            start: hours(0),
            precursors_per_month: 6.0,
            report_probability: 0.2,
            actions_per_month: 20.0,
        ),
    ],
""")

# Objectives ----------------------------------------------------------------------------------
w(f"""    objectives: [
        (
            id: "O1-national-sa",
            description: "National situational awareness: at least {OBJ_SA_COVERAGE:.0%} of the agencies that need cyber indicators hold the campaign's first indicators within 24 hours of detection.",
            capability: SituationalAssessment,
            metric: Coverage(threat: "wave_foodag", within: hours(24)),
            target: AtLeast({OBJ_SA_COVERAGE}),
        ),
        (
            id: "O2-sector-coverage",
            description: "Sector coverage: at least {OBJ_SECTOR_COVERAGE:.0%} of the agencies that need cyber indicators hold the healthcare wave's indicators within 12 hours of its detection.",
            capability: IntelligenceAndInformationSharing,
            metric: Coverage(threat: "wave_health", within: hours(12)),
            target: AtLeast({OBJ_SECTOR_COVERAGE}),
        ),
        (
            id: "O3-joint-advisory",
            description: "CISA and its JCDC partners publish a joint advisory on the campaign within {OBJ_ADVISORY_H} hours of its start.",
            capability: Cybersecurity,
            metric: TimeToAction("wave_foodag"),
            target: Within(hours({OBJ_ADVISORY_H})),
        ),
        (
            id: "O4-public-message",
            description: "A coordinated public message counters the bank rumor within {OBJ_WARNING_H} hours of its first posts.",
            capability: PublicInformationAndWarning,
            metric: TimeToPublicWarning("bank_rumor"),
            target: Within(hours({OBJ_WARNING_H})),
        ),
        (
            id: "O5-leak",
            description: "Leak exposure from insiders at partner organizations stays at or below {OBJ_LEAK:g}.",
            capability: AccessControlAndIdentityVerification,
            metric: InsiderExposure,
            target: AtMost({OBJ_LEAK}),
        ),
        (
            id: "O6-partners-stay",
            description: "No partner withdraws from a partnership during the exercise.",
            capability: OperationalCoordination,
            metric: Withdrawals,
            target: AtMost(0),
        ),
    ],
""")

# Variants ------------------------------------------------------------------------------------
def changes(lines):
    return "\n".join(f"                {l}" for l in lines)


ais_changes = []
for pid in isac_fc_edges:
    ais_changes.append(f'Set("partnerships[{pid}].channels", r#"["ais", "hsin", "email"]"#),')
    ais_changes.append(f'Set("partnerships[{pid}].benefits", "[Technology(speedup: 0.5)]"),')
dsa_changes = []
for pid in no_agreement_edges:
    dsa_changes.append(f'Set("partnerships[{pid}].agreement", "DataSharingAgreement"),')
    dsa_changes.append(f'Set("partnerships[{pid}].max_tlp", "Amber"),')
training_changes = [
    'Set("threats[wave_foodag].response.corroboration", "Some(3)"),',
    'Set("threats[wave_foodag].response.time_to_act", "LogNormal(median: hours(8), p95: hours(20))"),',
    'Set("threats[bank_rumor].response.time_to_act", "LogNormal(median: hours(1.5), p95: hours(5))"),',
]
for pid in jcdc_edges:
    training_changes.append(f'Set("partnerships[{pid}].trust", "0.8"),')
benefit_changes = []
for pid in msp_edges:
    benefit_changes.append(f'Set("partnerships[{pid}].withdraw_below", "0.1"),')
    benefit_changes.append(f'Set("partnerships[{pid}].trust", "0.7"),')

w(f"""    variants: [
        (
            id: "ais-isac-fusion",
            name: "Automated indicator sharing between MS-ISAC and every primary fusion center",
            description: "MS-ISAC's feeds to the 56 primary fusion centers move from e-mail and HSIN posts to AIS (STIX/TAXII), and a shared threat-intelligence platform triages the indicators at both ends.",
            recommendation: Some(TechnologyInvestment),
            changes: [
                // Machine-speed delivery, and automated triage halves analysis time [G].
{changes(ais_changes)}
            ],
        ),
        (
            id: "national-dsa",
            name: "A national data-sharing agreement template for companies, ISACs and fusion centers",
            description: "Every company that shares with its ISAC or its state fusion center signs the same template agreement, which covers TLP:AMBER indicators.",
            recommendation: Some(SharingAgreements),
            changes: [
{changes(dsa_changes)}
            ],
        ),
        (
            id: "vendor-vetting",
            name: "Vetting and monitoring of vendor administrators",
            description: "Continuous evaluation of the cloud MSP's tenant administrators, with insider-threat training that makes coworkers report precursors.",
            recommendation: Some(PartnerVetting),
            changes: [
                Set("agencies[cloud_msp].vetting", "Rigorous"),
                Set("agencies[cloud_msp].monitoring", "0.8"),
                Set("insiders[msp_admin].report_probability", "0.7"),
            ],
        ),
        (
            id: "joint-training",
            name: "A joint JCDC and public-affairs exercise before the campaign",
            description: "Pre-built trust on the JCDC edges, an advisory template that needs less corroboration and drafts faster, and a pre-cleared public message.",
            recommendation: Some(JointTraining),
            changes: [
{changes(training_changes)}
            ],
        ),
        (
            id: "shared-benefits",
            name: "Shared benefits and transparency with the cloud MSP",
            description: "The MSP's partners agree in advance how an incident at the vendor will be handled and credited, so one bad episode does not end the relationship.",
            recommendation: Some(SharedBenefits),
            changes: [
{changes(benefit_changes)}
            ],
        ),
    ],
)""")

print("\n".join(out))
