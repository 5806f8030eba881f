//! The web layer of `tabletop serve`: an axum router over one [`Live`] session, the page and
//! its script shipped in the binary, server-sent events to every open browser, and the clock
//! that advances the run against wall time.
//!
//! Access: every API call carries a token (`?token=` or `Authorization: Bearer`). The
//! facilitator's token changes the session; a team's token reads what its agency knows and
//! takes its agency's decisions, nothing else.

use super::log::Entry;
use super::session::{Live, MAX_UPLOAD_BYTES, Opener, Role, new_token};
use crate::error::{Error, Result};
use crate::sim::{Action, Board, Event};
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

const INDEX: &str = include_str!("../../assets/console/index.html");
const SCRIPT: &str = include_str!("../../assets/console/app.js");
const STYLE: &str = include_str!("../../assets/console/style.css");

/// Most continuations a forecast may ask per candidate.
pub const MAX_FORECAST_RUNS: u64 = 2000;

/// The clock: running or paused, and how fast scenario time passes against wall time.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ClockState {
    /// Advancing against wall time.
    pub running: bool,
    /// Scenario hours per wall hour.
    pub speed: f64,
    /// Scenario time owed to the run and not yet a whole tick [h].
    #[serde(skip)]
    pub carry_h: f64,
}

/// Everything the router serves.
pub struct AppState {
    /// The session: none until the facilitator opens a scenario; once open, only ever
    /// replaced by another.
    live: Mutex<Option<Live>>,
    /// The facilitator's token, kept across the sessions the console opens.
    token: String,
    /// Where shipped scenarios are found and new sessions logged (none: this session only).
    opener: Option<Opener>,
    clock: Mutex<ClockState>,
    tx: broadcast::Sender<u64>,
}

/// The open session, behind the server's lock. Only handed out once a session is open
/// ([`AppState::live`] callers check [`AppState::has_session`] or hold a role, which needs
/// one).
pub struct LiveGuard<'a>(MutexGuard<'a, Option<Live>>);

impl std::ops::Deref for LiveGuard<'_> {
    type Target = Live;
    fn deref(&self) -> &Live {
        self.0
            .as_ref()
            .expect("a session is open (checked before the guard is taken)")
    }
}

impl std::ops::DerefMut for LiveGuard<'_> {
    fn deref_mut(&mut self) -> &mut Live {
        self.0
            .as_mut()
            .expect("a session is open (checked before the guard is taken)")
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// Serve `live`, paused, at 60× (one scenario minute per wall second).
    pub fn new(live: Live) -> Arc<AppState> {
        AppState::with_opener(Some(live), None)
    }

    /// Serve `live` (none: start on the scenario picker), opening further sessions with
    /// `opener`.
    pub fn with_opener(live: Option<Live>, opener: Option<Opener>) -> Arc<AppState> {
        let (tx, _) = broadcast::channel(64);
        let token = live
            .as_ref()
            .map_or_else(new_token, |l| l.facilitator_token.clone());
        Arc::new(AppState {
            live: Mutex::new(live),
            token,
            opener,
            clock: Mutex::new(ClockState {
                running: false,
                speed: 60.0,
                carry_h: 0.0,
            }),
            tx,
        })
    }

    fn slot(&self) -> MutexGuard<'_, Option<Live>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a session is open.
    pub fn has_session(&self) -> bool {
        self.slot().is_some()
    }

    /// The facilitator's token.
    pub fn facilitator_token(&self) -> &str {
        &self.token
    }

    /// The session (poisoning is ignored: the run's state is consistent between ticks). Only
    /// once one is open ([`AppState::has_session`]).
    pub fn live(&self) -> LiveGuard<'_> {
        LiveGuard(self.slot())
    }

    /// Replace the session by `live` (its facilitator token becomes the console's), pause the
    /// clock, and tell every browser.
    pub fn open(&self, mut live: Live) {
        live.facilitator_token = self.token.clone();
        {
            let mut clock = self.clock();
            clock.running = false;
            clock.carry_h = 0.0;
            *self.slot() = Some(live);
        }
        self.changed();
    }

    fn clock(&self) -> MutexGuard<'_, ClockState> {
        self.clock.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self) {
        let tick = match self.slot().as_mut() {
            Some(l) => l.stepper().tick(),
            None => return,
        };
        let _ = self.tx.send(tick);
    }

    /// Advance by `wall_s` seconds of wall time when the clock runs; pauses by itself at a
    /// new decision point and at the end. True when anything changed.
    pub fn tick_wall(&self, wall_s: f64) -> bool {
        let mut clock = self.clock();
        if !clock.running || !self.has_session() {
            return false;
        }
        let mut live = self.live();
        let s = live.stepper();
        let dt = s.dt();
        clock.carry_h += clock.speed * wall_s / 3600.0;
        let mut moved = false;
        let open = s.open_decisions();
        while clock.carry_h >= dt && !s.done() {
            clock.carry_h -= dt;
            s.step();
            moved = true;
            if s.open_decisions() > open {
                clock.running = false;
                break;
            }
        }
        if s.done() {
            clock.running = false;
        }
        if !clock.running {
            clock.carry_h = 0.0;
            let _ = live.mark_clock();
        }
        moved
    }
}

/// An API error: status and message.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, e.to_string())
    }
}

type ApiResult<T> = std::result::Result<T, ApiError>;

/// The token of a request: `?token=` or `Authorization: Bearer`.
#[derive(Debug, Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    from: usize,
}

fn role(st: &AppState, headers: &HeaderMap, q: &TokenQuery) -> ApiResult<Role> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let token = if q.token.is_empty() { bearer } else { &q.token };
    let role = if !token.is_empty() && token == st.token {
        Some(Role::Facilitator)
    } else {
        st.slot().as_ref().and_then(|l| l.role_of(token))
    };
    let role = role.ok_or(ApiError(
        StatusCode::UNAUTHORIZED,
        "a session token is needed (printed when the console started)".into(),
    ))?;
    if !st.has_session() {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "no scenario is open yet: the facilitator picks or uploads one first".into(),
        ));
    }
    Ok(role)
}

/// The facilitator's token, whether or not a session is open (the scenario picker).
fn facilitator_any(st: &AppState, headers: &HeaderMap, q: &TokenQuery) -> ApiResult<()> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let token = if q.token.is_empty() { bearer } else { &q.token };
    if !token.is_empty() && token == st.token {
        return Ok(());
    }
    let known = st.slot().as_ref().and_then(|l| l.role_of(token)).is_some();
    Err(if known {
        ApiError(
            StatusCode::FORBIDDEN,
            "only the facilitator can do this".into(),
        )
    } else {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "a session token is needed (printed when the console started)".into(),
        )
    })
}

/// The scenario picker: the shipped scenarios, and whether uploads are taken.
fn picker(st: &AppState) -> Value {
    json!({
        "available": st.opener.is_some(),
        "shipped": st.opener.as_ref().map(|o| o.shipped()).unwrap_or_default(),
        "max_upload_bytes": MAX_UPLOAD_BYTES,
    })
}

fn facilitator(st: &AppState, headers: &HeaderMap, q: &TokenQuery) -> ApiResult<Role> {
    match role(st, headers, q)? {
        Role::Facilitator => Ok(Role::Facilitator),
        Role::Team(_) => Err(ApiError(
            StatusCode::FORBIDDEN,
            "only the facilitator can do this".into(),
        )),
    }
}

/// The router (no network: tests call it with `tower::ServiceExt::oneshot`).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { page(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/app.js",
            get(|| async { page(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/style.css",
            get(|| async { page(STYLE, "text/css; charset=utf-8") }),
        )
        .route("/api/state", get(api_state))
        .route("/api/timeline", get(api_timeline))
        .route("/api/events", get(api_events))
        .route("/api/clock", post(api_clock))
        .route("/api/action", post(api_action))
        .route("/api/note", post(api_note))
        .route("/api/mark", post(api_mark))
        .route("/api/forecast", post(api_forecast))
        .route("/api/outcome", get(api_outcome))
        .route("/api/open", post(api_open))
        // Room for a 2 MiB scenario in JSON (escapes included); the size itself is checked
        // with a clear message.
        .layer(DefaultBodyLimit::max(3 * MAX_UPLOAD_BYTES))
        .with_state(state)
}

fn page(body: &'static str, ty: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ty),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// What a team's agency knows: its own row, its links, its decision points, the injects
/// addressed to it that have fired, and its part of the timeline.
fn team_view(live: &mut Live, agency: &str, board: &Board) -> Value {
    let me = board.agencies.iter().find(|a| a.id == agency);
    let links: Vec<_> = board
        .links
        .iter()
        .filter(|l| l.from == agency || l.to == agency)
        .collect();
    let decisions: Vec<_> = board
        .decisions
        .iter()
        .filter(|d| d.agency == agency)
        .collect();
    let shares: Vec<_> = board.shares.iter().filter(|d| d.agency == agency).collect();
    let spec = live.scenario().spec();
    let injects: Vec<Value> = board
        .injects
        .iter()
        .zip(&spec.injects)
        .filter(|(b, s)| b.fired_at.is_some() && s.to.iter().any(|t| t == agency))
        .map(|(b, s)| {
            json!({"id": b.id, "number": b.number, "synopsis": b.synopsis,
                   "fired_at": b.fired_at, "from": s.from, "delivery": s.delivery})
        })
        .collect();
    let known: Vec<Value> = me
        .map(|m| {
            m.knows
                .iter()
                .map(|(id, t)| {
                    let name = spec
                        .threats
                        .iter()
                        .find(|th| &th.id == id)
                        .map_or(id.as_str(), |th| th.name.as_str());
                    json!({"id": id, "name": name, "since_h": t,
                           "decided": m.decided.contains(id)})
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "role": "team",
        "agency": agency,
        "exercise": spec.exercise.name,
        "marking": spec.exercise.marking,
        "now_h": board.now_h,
        "duration_h": board.duration_h,
        "done": board.done,
        "me": me,
        "knows": known,
        "links": links,
        "decisions": decisions,
        "shares": shares,
        "injects": injects,
    })
}

fn team_events(events: Vec<Event>, agency: &str) -> Vec<Event> {
    events.into_iter().filter(|e| e.who == agency).collect()
}

/// The state a role may see.
fn state_for(st: &AppState, role: &Role) -> Value {
    let clock = *st.clock();
    let mut live = st.live();
    let board = live.board();
    match role {
        Role::Team(a) => {
            let mut v = team_view(&mut live, a, &board);
            v["clock"] = json!(clock);
            v
        }
        Role::Facilitator => {
            let spec = live.scenario().spec();
            let msel: Vec<Value> = spec
                .injects
                .iter()
                .map(|s| {
                    json!({"id": s.id, "expected_action": s.expected_action, "to": s.to,
                           "objectives": s.objectives,
                           "arrival": matches!(s.effect, crate::scenario::schema::EffectSpec::Arrival { .. })})
                })
                .collect();
            let objectives: Vec<Value> = live
                .model()
                .catalog()
                .objectives
                .iter()
                .map(|o| json!({"id": o.id, "description": o.description, "target": o.target}))
                .collect();
            let teams: Vec<Value> = live
                .teams
                .iter()
                .map(|t| json!({"agency": t.agency, "name": t.name, "token": t.token}))
                .collect();
            let partnerships: Vec<String> =
                spec.partnerships.iter().map(|p| p.id.clone()).collect();
            let log: Vec<&Entry> = live
                .entries()
                .iter()
                .filter(|e| !matches!(e, Entry::Clock { .. } | Entry::Forecast { .. }))
                .collect();
            json!({
                "role": "facilitator",
                "session": true,
                "open": picker(st),
                "exercise": spec.exercise.name,
                "marking": spec.exercise.marking,
                "seed": live.header().seed,
                "clock": clock,
                "board": board,
                "msel": msel,
                "objectives": objectives,
                "partnerships": partnerships,
                "teams": teams,
                "log": log,
                "forecast": live.last_forecast,
                "key_metrics": spec.exercise.key_metrics,
            })
        }
    }
}

async fn api_state(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Value>> {
    if !st.has_session() {
        facilitator_any(&st, &headers, &q)?;
        return Ok(Json(json!({
            "role": "facilitator",
            "session": false,
            "open": picker(&st),
        })));
    }
    let r = role(&st, &headers, &q)?;
    Ok(Json(state_for(&st, &r)))
}

/// Open a scenario: a shipped one by file name, or an uploaded text (with its file name).
#[derive(Debug, Deserialize)]
struct OpenReq {
    #[serde(default)]
    shipped: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    ron: Option<String>,
    #[serde(default)]
    seed: Option<u64>,
}

async fn api_open(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    Json(req): Json<OpenReq>,
) -> ApiResult<Json<Value>> {
    facilitator_any(&st, &headers, &q)?;
    let Some(opener) = st.opener.clone() else {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "this console serves one session only".into(),
        ));
    };
    if st.clock().running {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "pause the clock before opening another scenario".into(),
        ));
    }
    if let Some(text) = &req.ron
        && text.len() > MAX_UPLOAD_BYTES
    {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the file is {} bytes; uploads are limited to {MAX_UPLOAD_BYTES} bytes (2 MiB)",
                text.len()
            ),
        ));
    }
    let live = tokio::task::spawn_blocking(move || match (&req.shipped, &req.ron) {
        (Some(name), None) => opener.open_shipped(name, req.seed),
        (None, Some(text)) => opener.open_upload(
            req.name.as_deref().unwrap_or("uploaded.ron"),
            text,
            req.seed,
        ),
        _ => Err(Error::Usage {
            flag: "open".into(),
            message: "give either `shipped` (a file name) or `ron` (the scenario text)".into(),
        }),
    })
    .await
    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    let log = live.header().scenario.display().to_string();
    st.open(live);
    Ok(Json(json!({ "ok": true, "scenario": log })))
}

async fn api_timeline(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Value>> {
    let r = role(&st, &headers, &q)?;
    let mut live = st.live();
    let all = live.events_since(q.from);
    let next = q.from + all.len();
    let events = match &r {
        Role::Facilitator => all,
        Role::Team(a) => team_events(all, a),
    };
    Ok(Json(json!({ "next": next, "events": events })))
}

async fn api_events(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Response> {
    role(&st, &headers, &q)?;
    let rx = st.tx.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(tick) => {
                    let ev = SseEvent::default().event("update").data(tick.to_string());
                    return Some((Ok::<_, Infallible>(ev), rx));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// A clock request.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum ClockOp {
    /// Run against wall time.
    Start,
    /// Stop.
    Pause,
    /// Run one step: to the next `tick`, `hour`, `event` (timeline entry or inject) or
    /// `decision` point.
    Step {
        #[serde(default = "tick_unit")]
        unit: String,
    },
    /// Run to a scenario time [h].
    Jump { to_h: f64 },
    /// Scenario hours per wall hour.
    Speed { speed: f64 },
}

fn tick_unit() -> String {
    "tick".into()
}

async fn api_clock(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    Json(op): Json<ClockOp>,
) -> ApiResult<Json<Value>> {
    facilitator(&st, &headers, &q)?;
    {
        let mut clock = st.clock();
        let mut live = st.live();
        let pause = |clock: &mut ClockState, live: &mut Live| -> Result<()> {
            clock.running = false;
            clock.carry_h = 0.0;
            live.mark_clock()
        };
        match op {
            ClockOp::Start => {
                if live.stepper().done() {
                    return Err(ApiError(
                        StatusCode::CONFLICT,
                        "the exercise is over".into(),
                    ));
                }
                clock.running = true;
            }
            ClockOp::Pause => pause(&mut clock, &mut live)?,
            ClockOp::Step { unit } => {
                pause(&mut clock, &mut live)?;
                let s = live.stepper();
                let end = s.ticks() as f64 * s.dt();
                match unit.as_str() {
                    "tick" => {
                        s.step();
                    }
                    "hour" => {
                        let to = s.now_h() + 1.0;
                        s.advance_to(to);
                    }
                    "event" => s.advance_to_event(end),
                    "decision" => {
                        s.step();
                        s.advance_to_decision(end);
                    }
                    other => {
                        return Err(ApiError(
                            StatusCode::BAD_REQUEST,
                            format!("unknown step `{other}` (tick, hour, event or decision)"),
                        ));
                    }
                }
                live.mark_clock()?;
            }
            ClockOp::Jump { to_h } => {
                pause(&mut clock, &mut live)?;
                let now = live.stepper().now_h();
                if !(to_h.is_finite() && to_h >= now) {
                    return Err(ApiError(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "cannot jump to {to_h} h: the clock is at {now} h and only moves forward (fork to look ahead)"
                        ),
                    ));
                }
                live.stepper().advance_to(to_h);
                live.mark_clock()?;
            }
            ClockOp::Speed { speed } => {
                if !(speed.is_finite() && speed > 0.0 && speed <= 1e6) {
                    return Err(ApiError(
                        StatusCode::BAD_REQUEST,
                        "speed must be in (0, 1e6] scenario hours per wall hour".into(),
                    ));
                }
                clock.speed = speed;
            }
        }
    }
    st.changed();
    Ok(Json(state_for(&st, &Role::Facilitator)))
}

async fn api_action(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    Json(action): Json<Action>,
) -> ApiResult<Json<Value>> {
    let r = role(&st, &headers, &q)?;
    if let (Role::Team(_), false) = (
        &r,
        matches!(
            action,
            Action::Act { .. }
                | Action::Wait { .. }
                | Action::Share { .. }
                | Action::CutOff { .. }
                | Action::Restore { .. }
                | Action::PublicWarning { .. }
        ),
    ) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "only the facilitator can change the MSEL or the teams".into(),
        ));
    }
    st.live().act(&r, action).map_err(|e| match e {
        Error::Usage { flag, message } if flag.starts_with("team:") => {
            ApiError(StatusCode::FORBIDDEN, message)
        }
        e => e.into(),
    })?;
    st.changed();
    Ok(Json(state_for(&st, &r)))
}

/// An observer note.
#[derive(Debug, Deserialize)]
struct NoteReq {
    #[serde(default)]
    objectives: Vec<String>,
    text: String,
}

async fn api_note(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    Json(n): Json<NoteReq>,
) -> ApiResult<Json<Value>> {
    let r = facilitator(&st, &headers, &q)?;
    st.live().note(&r, n.objectives, n.text)?;
    st.changed();
    Ok(Json(json!({ "ok": true })))
}

/// An expected-action mark.
#[derive(Debug, Deserialize)]
struct MarkReq {
    inject: String,
    taken: bool,
}

async fn api_mark(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    Json(m): Json<MarkReq>,
) -> ApiResult<Json<Value>> {
    let r = facilitator(&st, &headers, &q)?;
    st.live().mark(&r, m.inject, m.taken)?;
    st.changed();
    Ok(Json(json!({ "ok": true })))
}

/// A fork-and-forecast request: continuations per candidate and the candidates (default:
/// carry on, and act now on each open decision point).
#[derive(Debug, Deserialize)]
struct ForecastReq {
    #[serde(default = "default_runs")]
    runs: u64,
    #[serde(default)]
    candidates: Option<Vec<Candidate>>,
}

#[derive(Debug, Deserialize)]
struct Candidate {
    label: String,
    #[serde(default)]
    actions: Vec<Action>,
}

fn default_runs() -> u64 {
    100
}

async fn api_forecast(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
    Json(f): Json<ForecastReq>,
) -> ApiResult<Json<Value>> {
    let r = facilitator(&st, &headers, &q)?;
    if f.runs == 0 || f.runs > MAX_FORECAST_RUNS {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("runs must be 1 to {MAX_FORECAST_RUNS}"),
        ));
    }
    if st.clock().running {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "pause the clock to fork".into(),
        ));
    }
    let st2 = st.clone();
    let table = tokio::task::spawn_blocking(move || {
        let mut live = st2.live();
        let candidates = match f.candidates {
            Some(c) => c.into_iter().map(|c| (c.label, c.actions)).collect(),
            None => live.default_candidates(),
        };
        live.forecast(&r, candidates, f.runs)
    })
    .await
    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    st.changed();
    Ok(Json(json!(table)))
}

async fn api_outcome(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Value>> {
    facilitator(&st, &headers, &q)?;
    let mut live = st.live();
    match live.outcome() {
        Some(o) => Ok(Json(json!(o))),
        None => Err(ApiError(
            StatusCode::CONFLICT,
            "the exercise is not over yet".into(),
        )),
    }
}

/// Serve `live` (none: start on the scenario picker) on `addr` until Ctrl-C, opening further
/// sessions with `opener`; print the URLs with their tokens when `print`.
pub fn serve(
    live: Option<Live>,
    opener: Opener,
    addr: std::net::SocketAddr,
    print: bool,
) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::Runtime(format!("starting the server: {e}")))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Runtime(format!("cannot listen on {addr}: {e}")))?;
        let state = AppState::with_opener(live, Some(opener));
        if print {
            println!(
                "Facilitator: http://{addr}/?token={}",
                state.facilitator_token()
            );
            if !state.has_session() {
                println!("No scenario open yet: pick or upload one on the facilitator's page.");
            }
            let slot = state.slot();
            for t in slot.iter().flat_map(|l| &l.teams) {
                println!(
                    "Team {} ({}): http://{addr}/?token={}",
                    t.agency, t.name, t.token
                );
            }
            println!("Ctrl-C stops the server; the session log keeps everything (--resume).");
        }
        let ticker = state.clone();
        tokio::spawn(async move {
            let period = std::time::Duration::from_millis(250);
            let mut iv = tokio::time::interval(period);
            loop {
                iv.tick().await;
                let t = ticker.clone();
                let moved = tokio::task::spawn_blocking(move || t.tick_wall(0.25))
                    .await
                    .unwrap_or(false);
                if moved {
                    ticker.changed();
                }
            }
        });
        axum::serve(listener, router(state))
            .await
            .map_err(|e| Error::Runtime(format!("server: {e}")))
    })
}
