# Reference results for the meta-analysis module, computed with metafor.
#
#   Rscript scripts/metafor-fixtures.R > test/fixtures/meta-analysis/metafor.json
#
# Needs R with the metafor and jsonlite packages (Debian: r-base-core,
# r-cran-metafor). The tests compare src/synthesis/meta-analysis against the
# committed output and never need R. Iterative estimators run with tight
# convergence settings so that the references are exact to ~1e-10.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })

ctl <- list(threshold = 1e-11, maxiter = 10000, tol = 1e-12, stepadj = 1)
ctl.ci <- list(tol = 1e-12, maxiter = 10000)

num <- function(x) if (is.null(x) || length(x) == 0 || all(is.na(x))) NULL else unname(as.numeric(x))

summarise <- function(res, ci = TRUE) {
  out <- list(
    est = num(res$beta[1]), se = num(res$se[1]), stat = num(res$zval[1]), pval = num(res$pval[1]),
    ciLb = num(res$ci.lb[1]), ciUb = num(res$ci.ub[1]),
    tau2 = num(res$tau2), Q = num(res$QE), Qp = num(res$QEp), I2 = num(res$I2), H2 = num(res$H2),
    k = res$k
  )
  if (!is.null(res$se.tau2) && !is.na(res$se.tau2)) out$seTau2 <- num(res$se.tau2)
  if (inherits(res, "rma.uni") && !(res$method %in% c("FE", "EE", "CE"))) {
    p <- predict(res)
    out$piLb <- num(p$pi.lb); out$piUb <- num(p$pi.ub)
    if (ci && res$k > 1) {
      cf <- confint(res, control = ctl.ci)$random
      out$tau2Lb <- num(cf["tau^2", "ci.lb"]); out$tau2Ub <- num(cf["tau^2", "ci.ub"])
      out$I2Lb <- num(cf["I^2(%)", "ci.lb"]); out$I2Ub <- num(cf["I^2(%)", "ci.ub"])
      out$H2Lb <- num(cf["H^2", "ci.lb"]); out$H2Ub <- num(cf["H^2", "ci.ub"])
    }
  }
  out
}

binary <- function(ai, n1i, ci, n2i, ids = seq_along(ai)) {
  lapply(seq_along(ai), function(i) list(id = as.character(ids[i]), events1 = ai[i], total1 = n1i[i], events2 = ci[i], total2 = n2i[i]))
}
continuous <- function(m1i, sd1i, n1i, m2i, sd2i, n2i, ids = seq_along(m1i)) {
  lapply(seq_along(m1i), function(i) list(id = as.character(ids[i]), mean1 = m1i[i], sd1 = sd1i[i], n1 = n1i[i], mean2 = m2i[i], sd2 = sd2i[i], n2 = n2i[i]))
}
generic <- function(yi, vi, ids = seq_along(yi)) {
  lapply(seq_along(yi), function(i) list(id = as.character(ids[i]), yi = yi[i], se = sqrt(vi[i])))
}

cases <- list()
add_case <- function(name, data, kind, measure, method, test = "z", fit) {
  es <- fit$es
  cases[[length(cases) + 1]] <<- list(
    name = name, kind = kind, measure = measure, method = method, test = test, studies = data,
    yi = num(es$yi), vi = num(es$vi), expected = summarise(fit$res)
  )
}

fit_binary <- function(studies, measure, method, test) {
  ai <- sapply(studies, `[[`, "events1"); n1i <- sapply(studies, `[[`, "total1")
  ci <- sapply(studies, `[[`, "events2"); n2i <- sapply(studies, `[[`, "total2")
  es <- escalc(measure = measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i)
  res <- if (method == "MH") rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, measure = measure)
    else if (method == "PETO") rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i)
    else rma(es$yi, es$vi, method = method, test = test, control = ctl)
  if (method == "PETO") es <- escalc(measure = "PETO", ai = ai, n1i = n1i, ci = ci, n2i = n2i)
  list(es = es, res = res)
}
fit_continuous <- function(studies, measure, method, test) {
  g <- function(f) sapply(studies, `[[`, f)
  es <- escalc(measure = measure, m1i = g("mean1"), sd1i = g("sd1"), n1i = g("n1"), m2i = g("mean2"), sd2i = g("sd2"), n2i = g("n2"))
  list(es = es, res = rma(es$yi, es$vi, method = method, test = test, control = ctl))
}
fit_generic <- function(studies, method, test) {
  yi <- sapply(studies, `[[`, "yi"); vi <- sapply(studies, `[[`, "se")^2
  list(es = data.frame(yi = yi, vi = vi), res = rma(yi, vi, method = method, test = test, control = ctl))
}

bcg <- binary(dat.bcg$tpos, dat.bcg$tpos + dat.bcg$tneg, dat.bcg$cpos, dat.bcg$cpos + dat.bcg$cneg, dat.bcg$trial)
zeros <- binary(c(0, 3, 0, 5, 1, 12), c(20, 50, 30, 100, 40, 60), c(2, 0, 0, 8, 4, 15), c(20, 48, 30, 102, 41, 58))
two <- binary(c(12, 30), c(100, 210), c(20, 41), c(98, 205))
one <- binary(c(7), c(50), c(15), c(52))
nor <- dat.normand1999
normand <- continuous(nor$m1i, nor$sd1i, nor$n1i, nor$m2i, nor$sd2i, nor$n2i, nor$study)
set.seed(20261203)
k.het <- 15
het <- generic(round(rnorm(k.het, 0.3, 0.9), 4), round(runif(k.het, 0.01, 0.08), 5))
small <- generic(c(0.12, 0.35, -0.05), c(0.04, 0.02, 0.09))

for (measure in c("OR", "RR", "RD")) {
  for (method in c("FE", "DL", "REML", "PM", "MH")) {
    add_case(paste("bcg", measure, method), bcg, "binary", measure, method, "z", fit_binary(bcg, measure, method, "z"))
    add_case(paste("zeros", measure, method), zeros, "binary", measure, method, "z", fit_binary(zeros, measure, method, "z"))
  }
  add_case(paste("bcg", measure, "REML knha"), bcg, "binary", measure, "REML", "knha", fit_binary(bcg, measure, "REML", "knha"))
  add_case(paste("two", measure, "DL"), two, "binary", measure, "DL", "z", fit_binary(two, measure, "DL", "z"))
  add_case(paste("one", measure, "FE"), one, "binary", measure, "FE", "z", fit_binary(one, measure, "FE", "z"))
}
add_case("bcg OR PETO", bcg, "binary", "OR", "PETO", "z", fit_binary(bcg, "OR", "PETO", "z"))
add_case("zeros OR PETO", zeros, "binary", "OR", "PETO", "z", fit_binary(zeros, "OR", "PETO", "z"))
for (measure in c("MD", "SMD")) for (method in c("FE", "DL", "REML", "PM")) {
  add_case(paste("normand", measure, method), normand, "continuous", measure, method, "z", fit_continuous(normand, measure, method, "z"))
}
add_case("normand SMD DL knha", normand, "continuous", "SMD", "DL", "knha", fit_continuous(normand, "SMD", "DL", "knha"))
for (method in c("FE", "DL", "REML", "PM")) {
  add_case(paste("heterogeneous", method), het, "generic", "GEN", method, "z", fit_generic(het, method, "z"))
  add_case(paste("heterogeneous", method, "knha"), het, "generic", "GEN", method, "knha", fit_generic(het, method, "knha"))
  add_case(paste("small", method), small, "generic", "GEN", method, "z", fit_generic(small, method, "z"))
}

# Leave-one-out, Egger's test, trim-and-fill, subgroups.
bcg.es <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
extras <- list()
for (method in c("DL", "REML")) {
  res <- rma(yi, vi, data = bcg.es, method = method, control = ctl)
  l1o <- leave1out(res, control = ctl)
  extras[[paste("bcg RR", method, "leave1out")]] <- list(est = num(l1o$estimate), se = num(l1o$se), ciLb = num(l1o$ci.lb), ciUb = num(l1o$ci.ub), tau2 = num(l1o$tau2), I2 = num(l1o$I2), Q = num(l1o$Q))
  eg <- regtest(res, model = "lm")
  er <- regtest(res)
  extras[[paste("bcg RR", method, "egger")]] <- list(lm = list(stat = num(eg$zval), pval = num(eg$pval), df = num(eg$dfs), limit = num(eg$est)), rma = list(stat = num(er$zval), pval = num(er$pval), limit = num(er$est)))
  tf <- trimfill(res, control = ctl)
  extras[[paste("bcg RR", method, "trimfill")]] <- list(k0 = tf$k0, side = tf$side, est = num(tf$beta), se = num(tf$se), tau2 = num(tf$tau2), filledYi = num(tf$yi[tf$fill]))
  alloc <- as.character(dat.bcg$alloc)
  subs <- lapply(sort(unique(alloc)), function(a) { r <- rma(yi, vi, data = bcg.es, subset = alloc == a, method = method, control = ctl); list(group = a, k = r$k, est = num(r$beta), se = num(r$se), tau2 = num(r$tau2), Q = num(r$QE), I2 = num(r$I2)) })
  ests <- sapply(subs, `[[`, "est"); ses <- sapply(subs, `[[`, "se")
  between <- rma(ests, sei = ses, method = "FE")
  extras[[paste("bcg RR", method, "subgroups")]] <- list(groups = alloc, subgroups = subs, Qbetween = num(between$QE), Qp = num(between$QEp), df = length(subs) - 1)
}
hack <- dat.hackshaw1998
hres <- rma(yi, vi, data = hack, method = "REML", control = ctl)
htf <- trimfill(hres, control = ctl)
heg <- regtest(hres, model = "lm")
extras[["hackshaw REML trimfill"]] <- list(studies = generic(hack$yi, hack$vi, hack$author), k0 = htf$k0, side = htf$side, est = num(htf$beta), se = num(htf$se), tau2 = num(htf$tau2), filledYi = num(htf$yi[htf$fill]), egger = list(stat = num(heg$zval), pval = num(heg$pval), limit = num(heg$est)))
hfe <- rma(yi, vi, data = hack, method = "FE")
htf.fe <- trimfill(hfe)
extras[["hackshaw FE trimfill"]] <- list(k0 = htf.fe$k0, side = htf.fe$side, est = num(htf.fe$beta), se = num(htf.fe$se), filledYi = num(htf.fe$yi[htf.fe$fill]))

cat(toJSON(list(
  generatedWith = paste("metafor", packageVersion("metafor"), "on", R.version.string),
  cases = cases, extras = extras
), auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE))
