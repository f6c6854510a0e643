# Reference values for the canary judge. GNU R, base packages only.
# Run: Rscript ref.R  (writes ref.json and ref_tables.md in the working directory)
f10 <- function(v) if (is.null(v) || length(v) == 0) "null" else ifelse(is.na(v), "null", ifelse(is.infinite(v), ifelse(v > 0, "\"Inf\"", "\"-Inf\""), sprintf("%.10g", v)))
f17 <- function(v) ifelse(is.na(v), "null", ifelse(is.infinite(v), ifelse(v > 0, "\"Inf\"", "\"-Inf\""), sprintf("%.17g", v)))
fr <- function(v) sapply(v, function(u) { if (is.na(u)) return("null"); if (is.infinite(u)) return(if (u > 0) "\"Inf\"" else "\"-Inf\""); s <- sprintf("%.15g", u); if (as.numeric(s) == u) s else sprintf("%.17g", u) })
jarr <- function(v, f = f17) paste0("[", paste(f(v), collapse = ", "), "]")
jstr <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
jobj <- function(kv) paste0("{", paste(sprintf("%s: %s", jstr(names(kv)), unlist(kv)), collapse = ", "), "}")

ds <- list(
 list(id="D01_tiny_shift_5v5", note="n=5 vs 5, no ties, canary clearly higher",
      x=c(12.1, 14.3, 13.8, 15.2, 16.0), y=c(10.2, 11.5, 9.8, 12.6, 10.9)),
 list(id="D02_no_shift_20v20", note="same distribution N(100,10), no ties; draw chosen (seed 4 of a scan) to show no apparent shift",
      x=c(102.168, 94.575, 108.911, 105.960, 116.356, 106.893, 87.188, 97.869, 118.965, 117.769, 105.666, 100.157, 103.831, 99.549, 100.344, 101.690, 111.650, 99.558, 98.996, 97.166),
      y=c(115.408, 101.652, 113.076, 112.883, 105.929, 97.171, 112.559, 109.098, 90.720, 112.402, 101.535, 110.519, 92.458, 85.178, 108.611, 95.955, 97.726, 109.341, 95.341, 93.625)),
 list(id="D03_clear_shift_10v14", note="unequal sizes, no ties, canary ~ +30",
      x=c(114.007, 135.969, 124.753, 126.095, 113.324, 128.230, 121.922, 117.931, 132.193, 139.915),
      y=c(93.752, 103.488, 99.059, 102.247, 110.133, 101.413, 96.841, 105.763, 108.603, 91.676, 87.689, 98.706, 99.283, 103.516)),
 list(id="D04_integer_ties_15v18", note="integer latencies with ties (exact not possible)",
      x=c(27, 33, 31, 18, 38, 22, 30, 34, 54, 40, 24, 37, 15, 19, 14),
      y=c(25, 50, 45, 11, 50, 25, 39, 13, 20, 26, 7, 27, 13, 16, 14, 55, 79, 16)),
 list(id="D05_constant_canary_8v10", note="canary side constant (5.0); one baseline value ties with it",
      x=rep(5, 8), y=c(3.1, 4.2, 5.0, 5.5, 6.3, 4.8, 5.9, 4.4, 6.7, 5.2)),
 list(id="D06_unequal_5v60", note="very unequal sizes, no ties, small shift",
      x=c(50.460, 56.779, 48.691, 57.398, 51.324),
      y=c(42.612, 51.170, 45.932, 57.006, 49.765, 50.250, 47.109, 42.967, 52.989, 51.451, 50.790, 44.530, 55.708, 47.369, 54.907, 48.705, 55.149, 53.634, 40.948, 51.968, 42.813, 54.419, 53.680, 46.285, 52.734, 45.612, 45.196, 51.598, 59.481, 57.809, 48.758, 41.959, 42.255, 51.320, 49.155, 48.892, 54.640, 46.485, 51.027, 51.637, 37.610, 48.674, 44.109, 45.189, 49.951, 52.924, 51.866, 44.551, 50.119, 54.897, 57.297, 42.023, 60.594, 44.779, 52.947, 46.923, 52.814, 39.451, 50.451, 49.115)),
 list(id="D07_lognormal_60v60", note="n=60 each, log-normal latencies, canary median ~ +20%, no ties",
      x=c(120.974, 136.327, 123.369, 83.726, 88.179, 72.002, 100.815, 142.462, 95.235, 76.019, 210.498, 139.800, 178.169, 144.146, 190.244, 133.473, 145.834, 88.330, 131.545, 387.122, 122.486, 94.435, 144.468, 84.703, 125.670, 165.377, 123.943, 64.368, 146.999, 111.078, 77.820, 90.495, 57.055, 178.559, 80.563, 73.161, 90.100, 117.755, 123.675, 120.991, 159.999, 82.528, 99.358, 90.954, 72.508, 120.976, 163.649, 106.898, 112.986, 175.269, 126.932, 189.857, 147.686, 111.147, 151.129, 165.980, 120.497, 45.514, 90.874, 139.933),
      y=c(142.541, 237.215, 129.063, 86.371, 84.165, 109.848, 176.559, 232.406, 97.674, 135.993, 98.572, 93.539, 123.346, 69.895, 64.684, 93.377, 96.200, 45.966, 131.615, 85.056, 67.029, 72.359, 65.126, 81.354, 140.945, 103.682, 80.160, 93.279, 111.368, 86.750, 91.529, 72.491, 120.725, 111.614, 99.037, 114.302, 57.081, 102.343, 114.405, 88.624, 165.313, 65.926, 94.276, 48.775, 64.438, 146.152, 121.836, 151.517, 106.624, 89.903, 115.051, 97.792, 119.668, 121.680, 97.131, 170.637, 154.298, 128.436, 87.705, 79.254)),
 list(id="D08_kayenta_suite_4v4", note="from Kayenta MannWhitneySuite (expects CI [6,39], est 22.5 at 95%); n=4 < 5, extra",
      x=c(10, 20, 30, 40), y=c(1, 2, 3, 4)),
 list(id="D09_canary_faster_12v9", note="canary lower (negative shift), no ties",
      x=c(74.806, 82.306, 75.856, 72.703, 80.667, 88.687, 81.063, 85.452, 81.518, 96.986, 81.608, 72.532),
      y=c(98.989, 97.603, 100.391, 95.797, 84.025, 99.860, 96.785, 93.496, 88.108)),
 list(id="D10_bucketised_heavy_ties_30v25", note="values restricted to histogram edges {5,10,25,50,100}",
      x=c(10, 25, 5, 10, 10, 10, 10, 10, 25, 5, 100, 10, 50, 100, 5, 25, 25, 50, 25, 10, 25, 10, 25, 5, 5, 25, 10, 50, 100, 25),
      y=c(25, 50, 10, 10, 25, 10, 5, 25, 25, 10, 100, 25, 25, 25, 25, 10, 5, 50, 50, 100, 25, 5, 10, 50, 25)),
 list(id="D11_both_constant_6v6", note="each side constant, different values (Kayenta adds noise here; R cannot form the CI)",
      x=rep(2, 6), y=rep(3, 6)),
 list(id="D12_identical_7v7", note="identical samples (Kayenta short-circuits to Pass)",
      x=c(3.2, 4.1, 5.5, 2.8, 3.9, 4.4, 6.0), y=c(3.2, 4.1, 5.5, 2.8, 3.9, 4.4, 6.0)),
 list(id="D13_same_dist_chance_shift_20v20", note="same distribution N(100,10), no ties; this draw shows a chance shift (p~0.02) that the 98% CI does not flag",
      x=c(103.040, 122.253, 97.719, 95.652, 94.929, 88.740, 114.922, 113.013, 112.588, 98.841, 103.296, 102.946, 106.284, 110.131, 105.140, 113.699, 101.153, 101.031, 117.940, 107.689),
      y=c(87.503, 102.351, 109.577, 106.178, 92.586, 91.566, 91.489, 116.449, 108.314, 84.619, 94.372, 93.686, 86.660, 82.623, 94.601, 112.838, 83.001, 118.129, 86.198, 107.760))
)

run_w <- function(x, y, exact, conf.level) {
  warns <- character(0)
  res <- withCallingHandlers(
    tryCatch(wilcox.test(x, y, conf.int = TRUE, conf.level = conf.level, exact = exact, correct = TRUE),
             error = function(e) list(err = conditionMessage(e))),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  list(res = res, warns = unique(warns))
}

kayenta_est <- function(x, y) {  # estimate as Kayenta computes it: continuity correction kept at zq = 0
  n.x <- length(x); n.y <- length(y)
  mumin <- min(x) - max(y); mumax <- max(x) - min(y)
  Wc <- function(d) {
    dr <- rank(c(x - d, y)); NT <- table(dr)
    dz <- sum(dr[seq_along(x)]) - n.x * (n.x + 1) / 2 - n.x * n.y / 2
    s <- sqrt((n.x * n.y / 12) * ((n.x + n.y + 1) - sum(NT^3 - NT) / ((n.x + n.y) * (n.x + n.y - 1))))
    (dz - sign(dz) * 0.5) / s
  }
  tryCatch(uniroot(Wc, lower = mumin, upper = mumax, tol = 1e-4)$root, error = function(e) NA_real_)
}
cles <- function(x, y) { m <- length(x); n <- length(y); r <- rank(c(x, y)); (2 * sum(r[1:m]) - m * (m + 1)) / (2 * n * m) }

md <- c(); js <- c(); exact_rows <- c(); extra_rows <- c()
for (d in ds) {
  x <- d$x; y <- d$y
  ties <- length(unique(c(x, y))) != length(c(x, y))
  hl <- median(outer(x, y, "-"))
  mr <- if (mean(x) == 0 || mean(y) == 0) NA else mean(x) / mean(y)
  levels <- if (d$id == "D08_kayenta_suite_4v4") c(0.98, 0.95) else c(0.98)
  for (cl in levels) {
    a <- run_w(x, y, FALSE, cl)
    e <- if (!ties) run_w(x, y, TRUE, cl) else NULL
    ke <- kayenta_est(x, y)
    ga <- function(r, f) if (!is.null(r$res$err)) NA else f(r$res)
    A <- list(W = ga(a, function(r) unname(r$statistic)), p = ga(a, function(r) r$p.value),
              est = ga(a, function(r) unname(r$estimate)), lo = ga(a, function(r) r$conf.int[1]), hi = ga(a, function(r) r$conf.int[2]))
    # Kayenta-style classification on R's asymptotic CI with Kayenta's estimate, tolerance 0.25, allowedIncrease/Decrease = 1.0 (meanRatio)
    kcls <- if (is.na(A$lo) || is.na(ke)) "n/a" else {
      band <- 0.25 * abs(ke)
      if (A$lo > band && (is.na(mr) || mr >= 1)) "High" else if (A$hi < -band && (is.na(mr) || mr <= 1)) "Low" else "Pass" }
    E <- if (!is.null(e) && is.null(e$res$err)) list(W = unname(e$res$statistic), p = e$res$p.value, est = unname(e$res$estimate),
              lo = e$res$conf.int[1], hi = e$res$conf.int[2], cl = attr(e$res$conf.int, "conf.level")) else NULL
    key <- if (cl == 0.98) d$id else paste0(d$id, "@0.95")
    md <- c(md, sprintf("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |", key, length(x), length(y), if (ties) "yes" else "no",
       f10(A$W), f10(A$p), f10(A$est), f10(A$lo), f10(A$hi), f10(ke), if (!is.null(a$res$err)) paste("R error:", a$res$err) else kcls))
    kv <- list(id = jstr(key), note = jstr(d$note), conf_level = f17(cl), x = jarr(x, fr), y = jarr(y, fr), ties = if (ties) "true" else "false",
      approx = jobj(list(W = f17(A$W), p_value = f17(A$p), estimate = f17(A$est), ci_low = f17(A$lo), ci_high = f17(A$hi),
                         error = if (!is.null(a$res$err)) jstr(a$res$err) else "null",
                         warnings = paste0("[", paste(sapply(a$warns, jstr), collapse = ", "), "]"))),
      exact = if (is.null(E)) (if (ties) jstr("not available: ties") else jstr(paste("error:", e$res$err))) else
        jobj(list(W = f17(E$W), p_value = f17(E$p), estimate = f17(E$est), ci_low = f17(E$lo), ci_high = f17(E$hi),
                  achieved_conf_level = f17(E$cl), warnings = paste0("[", paste(sapply(e$warns, jstr), collapse = ", "), "]"))),
      hodges_lehmann_median_of_differences = f17(hl), kayenta_estimate_with_cc = f17(ke),
      mean_ratio = f17(mr), cles = f17(cles(x, y)), kayenta_classification_either = jstr(kcls))
    js <- c(js, jobj(kv))
    if (!is.null(E)) exact_rows <- c(exact_rows, sprintf("| %s | %s | %s | %s | %s | %s | %s |", key, f10(E$W), f10(E$p), f10(E$est), f10(E$lo), f10(E$hi), f10(E$cl)))
    extra_rows <- c(extra_rows, sprintf("| %s | %s | %s | %s | %s |", key, f10(hl), f10(mr), f10(cles(x, y)),
        if (length(a$warns)) paste(a$warns, collapse = "; ") else if (!is.null(a$res$err)) paste("ERROR:", a$res$err) else ""))
  }
}

## ---------- Kayenta IQR outlier fences (R-7 percentiles, factor 3, reduceSensitivity=TRUE) ----------
ov <- c(2.0, 2.5, 2.5, 3.0, 3.0, 3.5, 4.0, 4.5, 5.0, 54.5, 15.5, 2.0, 3.0)
q <- quantile(ov, c(.01, .25, .75, .99), type = 7, names = FALSE)
iqr <- q[3] - q[2]; lf <- min(q[1], q[2] - 3 * iqr); uf <- max(q[4], q[3] + 3 * iqr)
kept <- ov[!(ov > uf | ov < lf)]
iqr_js <- jobj(list(values = jarr(ov, fr), p01 = f17(q[1]), p25 = f17(q[2]), p75 = f17(q[3]), p99 = f17(q[4]), factor = "3",
   lower_fence = f17(lf), upper_fence = f17(uf), kept = jarr(kept), removed = jarr(ov[!(ov %in% kept)])))
iqr_md <- sprintf("values = (%s); R-7 percentiles p1=%s p25=%s p75=%s p99=%s; lower fence = min(p1, p25-3*IQR) = %s; upper fence = max(p99, p75+3*IQR) = %s; removed = (%s)",
   paste(ov, collapse=", "), f10(q[1]), f10(q[2]), f10(q[3]), f10(q[4]), f10(lf), f10(uf), paste(ov[!(ov %in% kept)], collapse=", "))

## ---------- Count data: Dirichlet-multinomial Bayes factor (Lindon & Malek) ----------
lmbeta <- function(a) sum(lgamma(a)) - lgamma(sum(a))
xlogy <- function(x, y) ifelse(x == 0, 0, x * log(y))
log_bf <- function(x, th0, k = 100) { a0 <- k * th0; lmbeta(a0 + x) - lmbeta(a0) - sum(xlogy(x, th0)) }
log_e_margin <- function(xc, xb, w, m, k = 100) {
  a0 <- k * c(w, 1 - w); thm <- w * (1 + m) / (w * (1 + m) + 1 - w)
  ths <- if (xc + xb > 0) min(xc / (xc + xb), thm) else thm
  lmbeta(a0 + c(xc, xb)) - lmbeta(a0) - (xlogy(xc, ths) + xlogy(xb, 1 - ths))
}
cs_theta <- function(xc, xb, w, alpha = 0.05, k = 100) {
  a0 <- k * c(w, 1 - w); thr <- lmbeta(a0 + c(xc, xb)) - lmbeta(a0) + log(alpha)
  f <- function(th) xlogy(xc, th) + xlogy(xb, 1 - th) - thr
  th <- if (xc + xb > 0) xc / (xc + xb) else w
  lo <- if (xc == 0 || f(1e-300) >= 0) 0 else uniroot(f, c(1e-300, th), tol = 1e-14)$root
  hi <- if (xb == 0 || f(1 - 1e-16) >= 0) 1 else uniroot(f, c(th, 1 - 1e-16), tol = 1e-14)$root
  c(lo, hi)
}
ratio <- function(th, w) th * (1 - w) / (w * (1 - th))
cases <- list(c(0,0,.5), c(10,10,.5), c(30,10,.5), c(60,40,.5), c(5,45,.1), c(15,45,.1), c(40,60,.1), c(3,0,.05), c(120,880,.1), c(150,850,.1), c(2,38,.05), c(9,31,.05))
cnt_md <- c(); cnt_js <- c()
for (cc in cases) {
  xc <- cc[1]; xb <- cc[2]; w <- cc[3]
  lb100 <- log_bf(c(xc, xb), c(w, 1 - w), 100); lb10 <- log_bf(c(xc, xb), c(w, 1 - w), 10)
  le0 <- log_e_margin(xc, xb, w, 0); le20 <- log_e_margin(xc, xb, w, 0.2)
  cs <- cs_theta(xc, xb, w); rr <- ratio(cs, w)
  cnt_md <- c(cnt_md, sprintf("| %d | %d | %s | %s | %s | %s | %s | %s | %s | [%s, %s] | [%s, %s] |", xc, xb, f10(w), f10(lb100), f10(exp(lb100)),
     f10(min(1, exp(-lb100))), f10(lb10), f10(le0), f10(le20), f10(cs[1]), f10(cs[2]), f10(rr[1]), f10(rr[2])))
  cnt_js <- c(cnt_js, jobj(list(canary_failures = xc, baseline_failures = xb, canary_weight = f17(w),
     log_bf_k100 = f17(lb100), bf_k100 = f17(exp(lb100)), p_k100 = f17(min(1, exp(-lb100))), log_bf_k10 = f17(lb10),
     log_e_one_sided_m0 = f17(le0), log_e_one_sided_m0_2 = f17(le20), cs95_theta = jarr(cs), cs95_rate_ratio = jarr(rr))))
}
# streaming example at w = 0.5: cumulative counts, BF and running-min p
stream <- rbind(c(2,1), c(5,3), c(9,4), c(15,6), c(22,8), c(26,14))
pm <- 1; st_md <- c(); st_js <- c()
for (i in 1:nrow(stream)) { lb <- log_bf(stream[i, ], c(.5, .5)); pm <- min(pm, min(1, exp(-lb)))
  st_md <- c(st_md, sprintf("| %d | %d | %d | %s | %s | %s |", i, stream[i,1], stream[i,2], f10(lb), f10(min(1, exp(-lb))), f10(pm)))
  st_js <- c(st_js, jobj(list(t = i, canary = stream[i,1], baseline = stream[i,2], log_bf = f17(lb), p_instant = f17(min(1, exp(-lb))), p_running_min = f17(pm)))) }
# weight steps: product of per-step Bayes factors (each step restarts with prior 100*(w,1-w))
step_sets <- list(null_like = rbind(c(0.05, 1, 25), c(0.10, 4, 35), c(0.25, 9, 30), c(0.50, 30, 28)),
                  regression = rbind(c(0.05, 4, 25), c(0.10, 10, 30), c(0.25, 22, 30), c(0.50, 60, 28)))
sp_md <- c(); sp_js <- c()
for (nm in names(step_sets)) { steps <- step_sets[[nm]]; tot <- 0
 for (i in 1:nrow(steps)) { lb <- log_bf(steps[i, 2:3], c(steps[i,1], 1 - steps[i,1])); tot <- tot + lb
  sp_md <- c(sp_md, sprintf("| %s | %d | %s | %d | %d | %s | %s | %s |", nm, i, f10(steps[i,1]), steps[i,2], steps[i,3], f10(lb), f10(tot), f10(min(1, exp(-tot)))))
  sp_js <- c(sp_js, jobj(list(scenario = jstr(nm), step = i, canary_weight = f17(steps[i,1]), canary_failures = steps[i,2], baseline_failures = steps[i,3], log_bf_step = f17(lb), log_bf_product = f17(tot), p_product = f17(min(1, exp(-tot)))))) } }

## ---------- Latency: Howard-Ramdas time-uniform CDF band ----------
eps_cf <- function(n, a) 0.85 * sqrt((log(log(exp(1) * n)) + 0.8 * log(1612 / a)) / n)
err_bound <- function(C, eta, A) { g2 <- 2 / eta * (A - sqrt(2 * (eta - 1) / C))^2; if (g2 <= 1) Inf else 4 * exp(-g2 * C) * (1 + 1 / ((g2 - 1) * log(eta))) }
opt_err <- function(C, A) { eu <- uniroot(function(eta) sqrt(eta / 2) + sqrt(2 * (eta - 1) / C) - A, c(1, 2 * A * A), tol = 1e-12)$root
  optimize(function(eta) err_bound(C, eta, A), c(1, eu), tol = 1e-10)$objective }
find_C <- function(alpha, A = 0.85) uniroot(function(C) opt_err(C, A) - alpha, c(2, 60), tol = 1e-10)$root
C05 <- find_C(0.05); C025 <- find_C(0.025)
eps_opt <- function(t, a, tmin = 1, A = 0.85, C = find_C(a)) ifelse(t < tmin, Inf, A * sqrt((log(1 + log(t / tmin)) + C) / t))
confseq_check <- eps_opt(1000, 0.05, tmin = 100)
ns <- c(10, 100, 400, 1000, 4000, 1e4, 1e5, 1e6)
eps_md <- sapply(ns, function(n) sprintf("| %s | %s | %s | %s | %s |", format(n, scientific = FALSE), f10(eps_cf(n, .05)), f10(eps_cf(n, .025)), f10(eps_opt(n, .05, C = C05)), f10(eps_opt(n, .025, C = C025))))
eps_js <- sapply(ns, function(n) jobj(list(n = format(n, scientific = FALSE), closed_form_a0_05 = f17(eps_cf(n, .05)), closed_form_a0_025 = f17(eps_cf(n, .025)), optimal_C_a0_05 = f17(eps_opt(n, .05, C = C05)), optimal_C_a0_025 = f17(eps_opt(n, .025, C = C025)))))

# histogram example (Envoy/Istio default bucket edges in ms, truncated at 5000 + Inf)
le <- c(0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, Inf)
cb <- c(0, 0, 40, 400, 1800, 3000, 3700, 3920, 3980, 3995, 4000, 4000, 4000)     # baseline cumulative counts
cc_slow <- c(0, 0, 2, 20, 120, 250, 340, 385, 396, 399, 400, 400, 400)          # canary, slower
cc_same <- c(0, 0, 4, 41, 178, 301, 369, 392, 398, 400, 400, 400, 400)          # canary, similar
hist_case <- function(cb, cc, alpha = 0.05, delta = 0) {
  nb <- cb[length(cb)]; nc <- cc[length(cc)]
  Fb <- cb / nb; Fc <- cc / nc
  Dp <- max(Fb - Fc); Dabs <- max(abs(Fb - Fc))
  eb <- eps_cf(nb, alpha / 2); ec <- eps_cf(nc, alpha / 2)
  # sequential p-value at this look: smallest a with Dp - delta > eps(nb,a/2)+eps(nc,a/2)
  g <- function(a) (Dp - delta) - eps_cf(nb, a / 2) - eps_cf(nc, a / 2)
  p <- if (g(1) <= 0) 1 else if (g(1e-300) > 0) 0 else uniroot(g, c(1e-300, 1), tol = 1e-14)$root
  list(nb = nb, nc = nc, Dplus = Dp, Dabs = Dabs, eps_b = eb, eps_c = ec, reject_one_sided = (Dp - delta) > eb + ec,
       accept_no_regression_beyond_delta = (Dp + eb + ec) <= delta, p_one_sided = p)
}
qb <- function(cum, n, p, alpha, upper) { F <- cum / n; e <- eps_cf(n, alpha / 2)
  if (upper) { L <- pmax(0, F - e); i <- which(L >= p); if (length(i)) le[min(i)] else Inf }
  else { U <- pmin(1, F + e); i <- which(U < p); if (length(i)) le[max(i)] else 0 } }
cb5 <- cb * 5; cs5 <- cc_slow * 5; cm10 <- cc_same * 10
h1 <- hist_case(cb, cc_slow); h2 <- hist_case(cb, cs5); h3 <- hist_case(cb5, cm10, delta = 0.10)
hist_js <- function(h) jobj(lapply(h, function(v) if (is.logical(v)) tolower(as.character(v)) else f17(v)))
hist_md <- function(nm, h) sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", nm, h$nb, h$nc, f10(h$Dplus), f10(h$eps_b), f10(h$eps_c),
   tolower(h$reject_one_sided), tolower(h$accept_no_regression_beyond_delta), f10(h$p_one_sided))
quant_rows <- c()
for (p in c(0.5, 0.9, 0.99)) quant_rows <- c(quant_rows, sprintf("| %s | [%s, %s] | [%s, %s] | [%s, %s] |", p,
   qb(cb, 4000, p, .05, FALSE), qb(cb, 4000, p, .05, TRUE), qb(cc_slow, 400, p, .05, FALSE), qb(cc_slow, 400, p, .05, TRUE),
   qb(cs5, 2000, p, .05, FALSE), qb(cs5, 2000, p, .05, TRUE)))

## ---------- write outputs ----------
rv <- R.version.string
json <- paste0("{\n", jstr("generated_by"), ": ", jstr(paste(rv, "- base R only; see reference-values.md for formulas")), ",\n",
  jstr("wilcoxon"), ": [\n  ", paste(js, collapse = ",\n  "), "\n],\n",
  jstr("kayenta_iqr_fences"), ": ", iqr_js, ",\n",
  jstr("counts_dirichlet_multinomial"), ": [\n  ", paste(cnt_js, collapse = ",\n  "), "\n],\n",
  jstr("counts_streaming_w0_5"), ": [\n  ", paste(st_js, collapse = ",\n  "), "\n],\n",
  jstr("counts_weight_steps_product"), ": [\n  ", paste(sp_js, collapse = ",\n  "), "\n],\n",
  jstr("cdf_band_epsilon"), ": {", jstr("optimal_C_alpha_0_05"), ": ", f17(C05), ", ", jstr("optimal_C_alpha_0_025"), ": ", f17(C025), ", ",
      jstr("confseq_unit_test_check_t1000_a0_05_tmin100"), ": ", f17(confseq_check), ", ", jstr("rows"), ": [\n  ", paste(eps_js, collapse = ",\n  "), "\n]},\n",
  jstr("histogram_example"), ": {", jstr("le_ms"), ": ", jarr(le, fr), ", ", jstr("baseline_cumulative"), ": ", jarr(cb, fr), ", ",
      jstr("canary_slow_cumulative"), ": ", jarr(cc_slow, fr), ", ", jstr("canary_similar_cumulative"), ": ", jarr(cc_same, fr), ", ", jstr("scaling_note"), ": ", jstr("look2 uses canary_slow x5 (n=2000); look3 uses baseline x5 (n=20000) and canary_similar x10 (n=4000)"), ",\n  ",
      jstr("look1_slow_canary_n400_alpha0_05_delta0"), ": ", hist_js(h1), ",\n  ", jstr("look2_slow_canary_x5_n2000_alpha0_05_delta0"), ": ", hist_js(h2), ",\n  ", jstr("look3_baseline_x5_similar_canary_x10_alpha0_05_delta0_10"), ": ", hist_js(h3), "}\n}\n")
writeLines(json, "ref.json")
out <- c(paste("R:", rv), "", "## WILCOX_APPROX", md, "", "## WILCOX_EXACT", exact_rows, "", "## EXTRA", extra_rows, "", "## IQR", iqr_md, "",
  "## COUNTS", cnt_md, "", "## STREAM", st_md, "", "## STEPS", sp_md, "",
  "## EPS", sprintf("C_opt(0.05)=%s C_opt(0.025)=%s confseq_check=%s", f10(C05), f10(C025), f10(confseq_check)), eps_md, "",
  "## HIST", hist_md("look1", h1), hist_md("look2", h2), hist_md("look3", h3), quant_rows)
writeLines(out, "ref_tables.md")
