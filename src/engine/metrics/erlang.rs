//! Queueing formulas for staffing: Erlang B and C (M/M/n) and Erlang A (M/M/n+M, callers with exponential patience).
//!
//! Everything is computed without factorials or large powers: Erlang B by its recursion (in logs where it can
//! underflow), Erlang A by summing the birth–death chain's stationary terms in logs and the waiting-time tails with
//! the Beta representation described at [`erlang_a`]. See docs/METRICS.md for the definitions and references.

/// Largest offered load (Erlangs) the staffing searches accept; beyond it they answer `None`.
pub const MAX_ERLANGS: f64 = 1.0e6;

/// Most queue-length terms summed by [`erlang_a`]. It is only reached in overload with a patience many thousands of
/// times the AHT, where the chain is truncated there.
const MAX_QUEUE_TERMS: usize = 1_000_000;

/// Terms of the queue-length distribution are summed until they fall below e^-46 (≈ 1e-20) of the largest one.
const TAIL_LOG: f64 = 46.0;

/// Erlang B blocking probability with `n` servers and `a` Erlangs (the classic recursion).
pub fn erlang_b(n: u32, a: f64) -> f64 {
    if a.is_nan() {
        return 1.0;
    }
    if a <= 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    let mut b = 1.0;
    for k in 1..=n {
        b = a * b / (f64::from(k) + a * b);
    }
    b
}

/// Erlang C probability that a call waits, with `n` agents and `a` Erlangs offered (1.0 when n <= a).
pub fn erlang_c(n: u32, a: f64) -> f64 {
    if a.is_nan() || f64::from(n) <= a {
        return 1.0;
    }
    if a <= 0.0 {
        return 0.0;
    }
    let b = erlang_b(n, a);
    let nf = f64::from(n);
    (nf * b / (nf - a * (1.0 - b))).clamp(0.0, 1.0)
}

/// Erlang C service level: the share of calls answered within `t_s` seconds, `1 − Pw·e^(−(n−a)·t/AHT)`.
/// 0.0 when n <= a (the queue grows without bound).
pub fn erlang_c_service_level(n: u32, a: f64, t_s: f64, aht_s: f64) -> f64 {
    if a.is_nan() || f64::from(n) <= a {
        return 0.0;
    }
    if a <= 0.0 || aht_s <= 0.0 {
        return 1.0;
    }
    let pw = erlang_c(n, a);
    (1.0 - pw * (-(f64::from(n) - a) * t_s.max(0.0) / aht_s).exp()).clamp(0.0, 1.0)
}

/// Erlang C average speed of answer in seconds, `Pw·AHT/(n−a)`; infinite when n <= a.
pub fn erlang_c_asa(n: u32, a: f64, aht_s: f64) -> f64 {
    if a.is_nan() || f64::from(n) <= a {
        return f64::INFINITY;
    }
    if a <= 0.0 {
        return 0.0;
    }
    erlang_c(n, a) * aht_s.max(0.0) / (f64::from(n) - a)
}

/// Agent occupancy under Erlang C, `a/n` (1.0 when n <= a).
pub fn erlang_c_occupancy(n: u32, a: f64) -> f64 {
    if n == 0 || a.is_nan() {
        return 1.0;
    }
    (a / f64::from(n)).clamp(0.0, 1.0)
}

/// Fewest agents (more than `a`) for which the Erlang C service level within `t_s` reaches `target` (a fraction).
/// `Some(0)` when no traffic is offered; `None` when the target is 100% or more (no finite staff reaches it) or the
/// inputs are not usable numbers (negative, NaN, more than [`MAX_ERLANGS`]).
pub fn erlang_c_agents(a: f64, aht_s: f64, t_s: f64, target: f64) -> Option<u32> {
    if !(0.0..=MAX_ERLANGS).contains(&a) || target.is_nan() || aht_s.is_nan() || t_s.is_nan() {
        return None;
    }
    if a == 0.0 {
        return Some(0);
    }
    if target >= 1.0 {
        return None;
    }
    // Start just above a; carry the Erlang B recursion along.
    let start = a.floor() as u32 + 1;
    let mut b = erlang_b(start - 1, a);
    let limit = start.saturating_add(10_000).saturating_add((a * 10.0) as u32);
    for n in start..=limit {
        b = a * b / (f64::from(n) + a * b);
        let nf = f64::from(n);
        let pw = (nf * b / (nf - a * (1.0 - b))).clamp(0.0, 1.0);
        let sl = if aht_s <= 0.0 { 1.0 } else { 1.0 - pw * (-(nf - a) * t_s.max(0.0) / aht_s).exp() };
        if sl >= target {
            return Some(n);
        }
    }
    None
}

/// Erlang A (M/M/n+M) performance: Poisson arrivals, exponential handle times, exponential patience.
///
/// Probabilities are over all arriving calls; `service_level` is callfloor's SL variant (see docs/METRICS.md).
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct ErlangA {
    /// Probability that an arriving call has to wait (finds every agent busy).
    pub p_wait: f64,
    /// Probability that a call abandons.
    pub p_abandon: f64,
    /// Probability that a call is answered within T.
    pub p_answered_within: f64,
    /// Probability that a call abandons within T (a short abandon).
    pub p_abandoned_within: f64,
    /// Answered within T ÷ (answered + abandoned after T) = `p_answered_within / (1 − p_abandoned_within)`.
    pub service_level: f64,
    /// Mean wait of answered calls, seconds (0 when no call is answered, i.e. n = 0).
    /// Infinite only for infinite patience with n <= a (Erlang C overload).
    pub asa_s: f64,
    /// Mean number of calls waiting (time average). Infinite only for infinite patience with n <= a.
    pub mean_queue: f64,
    /// Carried load per agent: λ·(1 − P(abandon))·AHT ÷ n (1.0 for n = 0).
    pub occupancy: f64,
}

/// `ln(e^x + e^y)`, exact for either argument −∞.
fn log_add(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        return y;
    }
    if y == f64::NEG_INFINITY {
        return x;
    }
    let (hi, lo) = if x > y { (x, y) } else { (y, x) };
    hi + (lo - hi).exp().ln_1p()
}

/// `ln(1/B(k, a))` for k = 0..=n_max (Erlang B), by `1/B(k) = 1 + (k/a)·1/B(k−1)` in logs, so it never overflows.
fn ln_inv_erlang_b_table(n_max: u32, a: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(n_max as usize + 1);
    let mut cur = 0.0;
    out.push(cur);
    let ln_a = a.ln();
    for k in 1..=n_max {
        cur = log_add(0.0, f64::from(k).ln() - ln_a + cur);
        out.push(cur);
    }
    out
}

/// The Erlang C answer, in Erlang A's shape (patience infinite).
fn erlang_a_infinite_patience(n: u32, a: f64, aht_s: f64, t_s: f64) -> ErlangA {
    if f64::from(n) <= a {
        return ErlangA {
            p_wait: 1.0,
            p_abandon: 0.0,
            p_answered_within: 0.0,
            p_abandoned_within: 0.0,
            service_level: 0.0,
            asa_s: f64::INFINITY,
            mean_queue: f64::INFINITY,
            occupancy: 1.0,
        };
    }
    let pw = erlang_c(n, a);
    let sl = erlang_c_service_level(n, a, t_s, aht_s);
    ErlangA {
        p_wait: pw,
        p_abandon: 0.0,
        p_answered_within: sl,
        p_abandoned_within: 0.0,
        service_level: sl,
        asa_s: erlang_c_asa(n, a, aht_s),
        mean_queue: pw * a / (f64::from(n) - a),
        occupancy: erlang_c_occupancy(n, a),
    }
}

/// Nothing offered (or handled instantly): nobody waits.
fn erlang_a_idle() -> ErlangA {
    ErlangA { service_level: 1.0, p_answered_within: 1.0, ..ErlangA::default() }
}

/// Erlang A with `n` agents, `lambda_per_s` arrivals per second, mean handle time `aht_s`, mean patience
/// `patience_s` (None = infinite: the Erlang C answer) and SL threshold `t_s`. Defined for every n, also n <= a.
///
/// Method: an arriving call sees the stationary birth–death chain (PASTA). With k = n + j calls in the system it
/// waits behind j others. The queue ahead of it drains at rate nμ + iθ (i calls still ahead) and it abandons at rate
/// θ, so it is answered with probability nμ / (nμ + (j+1)θ), its wait if answered has mean Σ 1/(nμ + (i+1)θ), and
/// its offered wait V_j (a sum of exponentials with rates nμ + iθ, i = 0..j) is distributed as −ln(U)/θ with
/// U ~ Beta(nμ/θ, j+1), so `P(V_j > T) = I_x(nμ/θ, j+1)` with x = e^(−θT): a negative-binomial sum that grows by one
/// term per j. The stationary weights and both tails are carried in logs.
pub fn erlang_a(n: u32, lambda_per_s: f64, aht_s: f64, patience_s: Option<f64>, t_s: f64) -> ErlangA {
    let usable = |v: f64| v.is_finite() && v > 0.0;
    if !usable(lambda_per_s) || !usable(aht_s) {
        return erlang_a_idle();
    }
    let t_s = if t_s.is_nan() { 0.0 } else { t_s.clamp(0.0, 1.0e9) };
    let a = lambda_per_s * aht_s;
    let Some(theta) = patience_s.filter(|p| p.is_finite()).map(|p| 1.0 / p.max(1.0e-3)) else {
        return erlang_a_infinite_patience(n, a, aht_s, t_s);
    };
    let ln_i_prev = if n == 0 { 0.0 } else { ln_inv_erlang_b_table(n - 1, a).last().copied().unwrap_or(0.0) };
    erlang_a_core(n, ln_i_prev, lambda_per_s, 1.0 / aht_s, theta, t_s)
}

/// Erlang A with finite patience (θ > 0), given `ln_i_prev` = ln(1/B(n−1, a)) (ignored for n = 0).
fn erlang_a_core(n: u32, ln_i_prev: f64, lambda: f64, mu: f64, theta: f64, t: f64) -> ErlangA {
    let nf = f64::from(n);
    let nmu = nf * mu;
    let a = lambda / mu;
    // Stationary weights relative to π_n: q_j = Π_{i=1..j} λ/(nμ + iθ); and Σ_{k<n} π_k / π_n = 1/B(n) − 1.
    let ln_rest = if n == 0 { f64::NEG_INFINITY } else { (nf / a).ln() + ln_i_prev };
    let ln_lambda = lambda.ln();
    let (mut lq, mut lmax, mut ln_qsum) = (0.0_f64, 0.0_f64, 0.0_f64);
    let mut jmax = 0usize;
    while jmax < MAX_QUEUE_TERMS {
        jmax += 1;
        let rate = nmu + jmax as f64 * theta;
        lq += ln_lambda - rate.ln();
        ln_qsum = log_add(ln_qsum, lq);
        lmax = lmax.max(lq);
        if lambda <= rate && lq < lmax - TAIL_LOG {
            break;
        }
    }
    let p_wait = 1.0 / (1.0 + (ln_rest - ln_qsum).exp());

    // Negative-binomial terms of P(V_j > T) (rates nμ + iθ) and P(Y_j > T) (rates nμ + (i+1)θ, the wait of a call
    // that is answered, whose own patience also runs).
    let x = (-theta * t).exp();
    let one_minus_x = -(-theta * t).exp_m1();
    let g = one_minus_x / theta;
    let (mut ln_wv, mut ln_wy) = (-nmu * t, -(nmu + theta) * t);
    let (mut ln_pv, mut ln_py) = (ln_wv, ln_wy);

    let (mut p_abandon, mut answered_within, mut within, mut wait_answered, mut mean_queue) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut h = 0.0;
    lq = 0.0;
    for j in 0..=jmax {
        let jf = j as f64;
        if j > 0 {
            lq += ln_lambda - (nmu + jf * theta).ln();
            ln_wv += ((nmu * g + (jf - 1.0) * one_minus_x) / jf).ln();
            ln_pv = log_add(ln_pv, ln_wv);
            ln_wy += (((nmu + theta) * g + (jf - 1.0) * one_minus_x) / jf).ln();
            ln_py = log_add(ln_py, ln_wy);
        }
        let p = p_wait * (lq - ln_qsum).exp();
        let exit = nmu + (jf + 1.0) * theta;
        let served = nmu / exit;
        h += 1.0 / exit;
        let pv = ln_pv.exp().min(1.0);
        let py = ln_py.exp().min(1.0);
        p_abandon += p * (1.0 - served);
        answered_within += p * served * (1.0 - py);
        within += p * (1.0 - x * pv);
        wait_answered += p * served * h;
        mean_queue += p * jf;
    }
    answered_within += 1.0 - p_wait;
    within += 1.0 - p_wait;
    let p_abandon = p_abandon.clamp(0.0, 1.0);
    let abandoned_within = (within - answered_within).clamp(0.0, p_abandon);
    let p_answered = 1.0 - p_abandon;
    let service_level =
        if abandoned_within < 1.0 { (answered_within / (1.0 - abandoned_within)).clamp(0.0, 1.0) } else { 0.0 };
    ErlangA {
        p_wait,
        p_abandon,
        p_answered_within: answered_within.clamp(0.0, 1.0),
        p_abandoned_within: abandoned_within,
        service_level,
        asa_s: if p_answered > 0.0 { wait_answered / p_answered } else { 0.0 },
        mean_queue,
        occupancy: if n == 0 { 1.0 } else { (a * p_answered / nf).clamp(0.0, 1.0) },
    }
}

/// Fewest agents for which Erlang A answers at least `target` (a fraction) of all offered calls within `t_s`,
/// i.e. `p_answered_within >= target`: every abandon counts as a miss. With `patience_s` None (nobody abandons) this
/// is [`erlang_c_agents`], to which it converges as patience grows. `Some(0)` when no traffic is offered; `None` for
/// a target of 100% or more, or unusable inputs.
///
/// Why not the displayed SL variant (short abandons excluded): as a planning objective it rewards hang-ups. With
/// callers who give up within T it is met by almost no staff (10 Erlangs, 5 s patience: 1 agent, 91% abandoned);
/// this criterion also caps the planned abandon rate at 1 − target. With patience of ten minutes the two agree
/// within a seat. See docs/METRICS.md.
///
/// The search starts from the Erlang C figure and walks down with doubling steps, then bisects; the share answered
/// within T grows with the number of agents.
pub fn erlang_a_agents(lambda_per_s: f64, aht_s: f64, patience_s: Option<f64>, t_s: f64, target: f64) -> Option<u32> {
    if lambda_per_s.is_nan() || lambda_per_s < 0.0 || aht_s.is_nan() || aht_s <= 0.0 || target.is_nan() || t_s.is_nan()
    {
        return None;
    }
    if lambda_per_s == 0.0 {
        return Some(0);
    }
    let a = lambda_per_s * aht_s;
    let Some(theta) = patience_s.filter(|p| p.is_finite()).map(|p| 1.0 / p.max(1.0e-3)) else {
        return erlang_c_agents(a, aht_s, t_s, target);
    };
    if target >= 1.0 || !(0.0..=MAX_ERLANGS).contains(&a) {
        return None;
    }
    if target <= 0.0 {
        return Some(0);
    }
    let t_s = t_s.clamp(0.0, 1.0e9);
    let hi = erlang_c_agents(a, aht_s, t_s, target)?;
    let limit = hi.saturating_add(10_000);
    let table = ln_inv_erlang_b_table(limit, a);
    let meets = |n: u32| -> bool {
        let ln_i_prev = if n == 0 { 0.0 } else { table.get(n as usize - 1).copied().unwrap_or(f64::INFINITY) };
        erlang_a_core(n, ln_i_prev, lambda_per_s, 1.0 / aht_s, theta, t_s).p_answered_within >= target
    };
    if !meets(hi) {
        return (hi + 1..=limit).find(|&n| meets(n));
    }
    // Walk down with doubling steps while the target is still met, then bisect.
    let (mut good, mut step) = (hi, 1u32);
    let bad = loop {
        if good == 0 {
            return Some(0);
        }
        let cand = good.saturating_sub(step);
        if meets(cand) {
            good = cand;
            step = step.saturating_mul(2);
        } else {
            break cand;
        }
    };
    let mut bad = bad;
    while good - bad > 1 {
        let mid = bad + (good - bad) / 2;
        if meets(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Some(good)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// METRICS.md's reference table: A = 10, AHT 180 s, T = 20 s.
    const TABLE: [(u32, f64, f64, f64, f64); 5] = [
        (11, 0.6821, 0.3896, 122.78, 0.909),
        (12, 0.4494, 0.6402, 40.44, 0.833),
        (13, 0.2853, 0.7956, 17.12, 0.769),
        (14, 0.1741, 0.8884, 7.84, 0.714),
        (15, 0.1020, 0.9415, 3.67, 0.667),
    ];

    fn close(got: f64, want: f64, tol: f64) -> bool {
        (got - want).abs() <= tol
    }

    #[test]
    fn erlang_c_matches_the_reference_table() {
        for (n, pw, sl, asa, occ) in TABLE {
            let got_pw = erlang_c(n, 10.0);
            let got_sl = erlang_c_service_level(n, 10.0, 20.0, 180.0);
            let got_asa = erlang_c_asa(n, 10.0, 180.0);
            let got_occ = erlang_c_occupancy(n, 10.0);
            assert!(close(got_pw, pw, 5e-5), "N={n}: Pw {got_pw:.6}, table says {pw}");
            assert!(close(got_sl, sl, 5e-5), "N={n}: SL(20) {got_sl:.6}, table says {sl}");
            assert!(close(got_asa, asa, 5e-3), "N={n}: ASA {got_asa:.4}, table says {asa}");
            assert!(close(got_occ, occ, 5e-4), "N={n}: occupancy {got_occ:.5}, table says {occ}");
        }
    }

    #[test]
    fn erlang_c_agents_for_80_20_at_10_erlangs_is_14() {
        assert_eq!(erlang_c_agents(10.0, 180.0, 20.0, 0.8), Some(14));
        // Edges: no traffic needs nobody, 100% is out of reach, overload is never enough.
        assert_eq!(erlang_c_agents(0.0, 180.0, 20.0, 0.8), Some(0));
        assert_eq!(erlang_c_agents(10.0, 180.0, 20.0, 1.0), None);
        assert_eq!(erlang_c(10, 10.0), 1.0);
        assert_eq!(erlang_c(3, 10.0), 1.0);
        assert_eq!(erlang_c_service_level(10, 10.0, 20.0, 180.0), 0.0);
    }

    #[test]
    fn erlang_c_is_stable_for_large_floors() {
        let pw = erlang_c(2000, 1900.0);
        assert!(pw.is_finite() && pw > 0.0 && pw < 1.0, "Pw = {pw}");
        let Some(n) = erlang_c_agents(1900.0, 180.0, 20.0, 0.8) else { panic!("no staffing figure for 1900 Erlangs") };
        assert!(n > 1900 && n < 2000, "1900 Erlangs need {n} agents");
        assert!(erlang_c_service_level(n, 1900.0, 20.0, 180.0) >= 0.8);
        assert!(erlang_c_service_level(n - 1, 1900.0, 20.0, 180.0) < 0.8);
    }

    #[test]
    fn erlang_a_converges_to_erlang_c_as_patience_grows() {
        let lambda = 10.0 / 180.0;
        for (n, ..) in TABLE {
            let ea = erlang_a(n, lambda, 180.0, Some(1.0e8), 20.0);
            let (pw, sl, asa) =
                (erlang_c(n, 10.0), erlang_c_service_level(n, 10.0, 20.0, 180.0), erlang_c_asa(n, 10.0, 180.0));
            assert!(close(ea.p_wait, pw, 1e-4), "N={n}: Erlang A P(wait) {} vs Erlang C {pw}", ea.p_wait);
            assert!(close(ea.service_level, sl, 1e-4), "N={n}: Erlang A SL {} vs Erlang C {sl}", ea.service_level);
            assert!(close(ea.asa_s, asa, 1e-2 * asa.max(1.0)), "N={n}: Erlang A ASA {} vs Erlang C {asa}", ea.asa_s);
            assert!(ea.p_abandon < 1e-4, "N={n}: P(abandon) {} with near-infinite patience", ea.p_abandon);
            // And None is exactly Erlang C.
            let inf = erlang_a(n, lambda, 180.0, None, 20.0);
            assert_eq!((inf.p_wait, inf.service_level, inf.asa_s), (pw, sl, asa));
        }
    }

    /// Solves x·M = b for a dense square M by Gaussian elimination with partial pivoting (M given row-major).
    fn solve_left(m: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
        // x·M = b  <=>  Mᵀ·xᵀ = bᵀ
        let n = b.len();
        let mut aug: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let mut row: Vec<f64> = (0..n).map(|j| m[j][i]).collect();
                row.push(b[i]);
                row
            })
            .collect();
        for col in 0..n {
            let Some(piv) = (col..n).max_by(|&x, &y| aug[x][col].abs().total_cmp(&aug[y][col].abs())) else {
                panic!("empty system");
            };
            aug.swap(col, piv);
            let d = aug[col][col];
            assert!(d.abs() > 1e-300, "singular system at column {col}");
            for r in 0..n {
                if r != col {
                    let f = aug[r][col] / d;
                    if f != 0.0 {
                        let pivot_row = aug[col].clone();
                        for (x, v) in aug[r].iter_mut().zip(&pivot_row).skip(col) {
                            *x -= f * v;
                        }
                    }
                }
            }
        }
        (0..n).map(|i| aug[i][n] / aug[i][i]).collect()
    }

    /// Erlang A measures from the truncated CTMC, solved as linear systems (no product form, no Beta trick):
    /// (P(wait), P(abandon) by θ·E[queue]/λ, SL(T) by uniformization of the tagged call's absorbing chain, ASA).
    fn ctmc(n: usize, lambda: f64, mu: f64, theta: f64, t: f64, cap: usize) -> (f64, f64, f64, f64) {
        let k = n + cap;
        // Generator of the number in system 0..=k; replace one balance equation by Σπ = 1.
        let mut q = vec![vec![0.0; k + 1]; k + 1];
        for s in 0..=k {
            if s < k {
                q[s][s + 1] = lambda;
            }
            if s > 0 {
                q[s][s - 1] = s.min(n) as f64 * mu + s.saturating_sub(n) as f64 * theta;
            }
            let out: f64 = q[s].iter().sum();
            q[s][s] = -out;
        }
        let mut m = q.clone();
        for row in m.iter_mut() {
            row[k] = 1.0;
        }
        let mut rhs = vec![0.0; k + 1];
        rhs[k] = 1.0;
        let pi = solve_left(&m, &rhs);
        let p_wait: f64 = pi[n..].iter().sum();
        let mean_queue: f64 = pi.iter().enumerate().map(|(s, p)| s.saturating_sub(n) as f64 * p).sum();
        let p_abandon = theta * mean_queue / lambda;

        // The tagged call: state i = calls ahead of it (0..cap). Leaves i to i−1 (or to "answered" from 0) at
        // nμ + iθ, abandons at θ. Arrivals seeing s >= n start in i = s − n (the last state cannot accept: ignore).
        let nmu = n as f64 * mu;
        let states = cap;
        let start: Vec<f64> = (0..states).map(|i| pi[n + i]).collect();
        // Uniformization for the probability of being answered / abandoned by t.
        let big = nmu + states as f64 * theta + theta;
        let mut v = start.clone();
        let (mut ans_by_t, mut ab_by_t) = (0.0, 0.0);
        let mut poisson_tail = 1.0; // P(N(t) >= m+1) where N ~ Poisson(big·t)
        let mut pm = (-big * t).exp(); // P(N = m)
        let mut m_idx = 0u32;
        while poisson_tail > 1e-15 && m_idx < 100_000 {
            poisson_tail -= pm;
            // One jump of the uniformized chain: mass absorbed in this jump counts if the jump happens by t,
            // i.e. with probability P(N(t) >= m+1).
            let mut next = vec![0.0; states];
            for i in 0..states {
                let r = nmu + i as f64 * theta;
                if i == 0 {
                    ans_by_t += v[0] * r / big * poisson_tail;
                } else {
                    next[i - 1] += v[i] * r / big;
                }
                ab_by_t += v[i] * theta / big * poisson_tail;
                next[i] += v[i] * (1.0 - (r + theta) / big);
            }
            v = next;
            m_idx += 1;
            pm *= big * t / f64::from(m_idx);
        }
        let answered_within = (1.0 - p_wait) + ans_by_t;
        let sl = answered_within / (1.0 - ab_by_t);

        // ASA: expected time spent in transient states weighted by the chance of being answered from there:
        // occupation times N solve N·(−Q_T) = start; h solves (−Q_T)·h = exit-to-answered.
        let mut neg_qt = vec![vec![0.0; states]; states];
        for i in 0..states {
            let r = nmu + i as f64 * theta;
            neg_qt[i][i] = r + theta;
            if i > 0 {
                neg_qt[i][i - 1] = -r;
            }
        }
        let occupation = solve_left(&neg_qt, &start);
        let transposed: Vec<Vec<f64>> = (0..states).map(|i| (0..states).map(|j| neg_qt[j][i]).collect()).collect();
        let mut exit = vec![0.0; states];
        exit[0] = nmu;
        let h = solve_left(&transposed, &exit); // (−Q_T)·h = exit
        let wait_answered: f64 = occupation.iter().zip(&h).map(|(o, h)| o * h).sum();
        let asa = wait_answered / (1.0 - p_abandon);
        (p_wait, p_abandon, sl, asa)
    }

    #[test]
    fn erlang_a_agrees_with_the_birth_death_chain_solved_numerically() {
        // (n, λ per s, AHT, patience, T): stable, critically loaded, and overloaded floors.
        let cases = [
            (12u32, 10.0 / 180.0, 180.0, 120.0, 20.0),
            (10, 10.0 / 180.0, 180.0, 300.0, 20.0),
            (5, 10.0 / 180.0, 180.0, 60.0, 30.0),
            (30, 1.0 / 6.0, 180.0, 90.0, 15.0),
            (3, 0.05, 60.0, 45.0, 10.0),
        ];
        for (n, lambda, aht, patience, t) in cases {
            let mu = 1.0 / aht;
            let theta = 1.0 / patience;
            let (pw, pab, sl, asa) = ctmc(n as usize, lambda, mu, theta, t, 160);
            let ea = erlang_a(n, lambda, aht, Some(patience), t);
            let what = format!("n={n} λ={lambda:.4} AHT={aht} patience={patience} T={t}");
            assert!(close(ea.p_wait, pw, 1e-6), "{what}: P(wait) {} vs CTMC {pw}", ea.p_wait);
            assert!(close(ea.p_abandon, pab, 1e-6), "{what}: P(abandon) {} vs CTMC {pab}", ea.p_abandon);
            assert!(close(ea.service_level, sl, 1e-6), "{what}: SL {} vs CTMC {sl}", ea.service_level);
            assert!(close(ea.asa_s, asa, 1e-4), "{what}: ASA {} vs CTMC {asa}", ea.asa_s);
            // Little's law inside Erlang A itself.
            assert!(close(ea.p_abandon, theta * ea.mean_queue / lambda, 1e-9), "{what}: Little");
        }
    }

    #[test]
    fn erlang_a_is_finite_for_overload_and_large_floors() {
        let lambda = 1400.0 / 180.0;
        for (n, patience) in [(1500u32, 300.0), (1400, 300.0), (1000, 300.0), (1, 60.0), (0, 60.0), (1500, 1.0e6)] {
            let ea = erlang_a(n, lambda, 180.0, Some(patience), 20.0);
            let all = [
                ea.p_wait,
                ea.p_abandon,
                ea.p_answered_within,
                ea.p_abandoned_within,
                ea.service_level,
                ea.asa_s,
                ea.mean_queue,
                ea.occupancy,
            ];
            assert!(all.iter().all(|v| v.is_finite()), "n={n} patience={patience}: {ea:?}");
            assert!((0.0..=1.0).contains(&ea.service_level), "n={n}: SL {}", ea.service_level);
            if f64::from(n) < 1400.0 {
                // At most n Erlangs can be carried: the rest abandons.
                assert!(ea.p_abandon >= 1.0 - f64::from(n) / 1400.0 - 1e-9, "n={n}: P(abandon) {}", ea.p_abandon);
                assert!(ea.p_wait > 0.99, "n={n}: P(wait) {}", ea.p_wait);
            }
        }
        let ea = erlang_a(1500, lambda, 180.0, Some(300.0), 20.0);
        assert!(ea.p_wait < 0.01 && ea.service_level > 0.99, "100 spare agents on 1400 Erlangs: {ea:?}");
    }

    #[test]
    fn abandonment_lowers_the_staff_needed() {
        let lambda = 10.0 / 180.0;
        let Some(c) = erlang_c_agents(10.0, 180.0, 20.0, 0.8) else { panic!("no Erlang C figure") };
        let Some(a) = erlang_a_agents(lambda, 180.0, Some(60.0), 20.0, 0.8) else { panic!("no Erlang A figure") };
        assert!(a < c, "Erlang A {a} should need fewer seats than Erlang C {c}");
        // It is the smallest n answering 80% of all calls within 20 s.
        assert!(erlang_a(a, lambda, 180.0, Some(60.0), 20.0).p_answered_within >= 0.8);
        assert!(erlang_a(a - 1, lambda, 180.0, Some(60.0), 20.0).p_answered_within < 0.8);
        // Callers who give up within seconds do not make the hint collapse: at most 20% may be lost.
        let Some(impatient) = erlang_a_agents(lambda, 180.0, Some(5.0), 20.0, 0.8) else { panic!("no figure") };
        let ea = erlang_a(impatient, lambda, 180.0, Some(5.0), 20.0);
        assert!(impatient > 10 && ea.p_abandon <= 0.2, "5 s patience: {impatient} agents, {ea:?}");
        // Patience never exhausted: Erlang C's answer.
        assert_eq!(erlang_a_agents(lambda, 180.0, None, 20.0, 0.8), Some(14));
        assert_eq!(erlang_a_agents(lambda, 180.0, Some(1.0e9), 20.0, 0.8), Some(14));
        // Large floor: still fewer, and finite.
        let big = 1400.0 / 180.0;
        let (Some(c), Some(a)) =
            (erlang_c_agents(1400.0, 180.0, 20.0, 0.8), erlang_a_agents(big, 180.0, Some(120.0), 20.0, 0.8))
        else {
            panic!("no staffing figures for 1400 Erlangs")
        };
        assert!(a < c, "1400 Erlangs: Erlang A {a} vs Erlang C {c}");
    }

    #[test]
    fn erlang_a_staffing_search_finds_the_smallest_staff() {
        for a in [3.0, 10.0, 200.0] {
            for patience in [5.0, 60.0, 600.0] {
                let lambda = a / 180.0;
                let linear =
                    (0..1000u32).find(|&n| erlang_a(n, lambda, 180.0, Some(patience), 20.0).p_answered_within >= 0.8);
                let searched = erlang_a_agents(lambda, 180.0, Some(patience), 20.0, 0.8);
                assert_eq!(searched, linear, "A={a} patience={patience}");
            }
        }
    }
}
