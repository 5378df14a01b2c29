package analyze

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/montanaflynn/stats"
)

// EconConfig asks for a monthly projection and margins. Zero
// TasksPerMonth turns the projection off.
type EconConfig struct {
	TasksPerMonth float64
	// RevenuePerTask is what one task earns; HasRevenue says it was given
	// (a revenue of 0 is a valid, if sad, figure).
	RevenuePerTask float64
	HasRevenue     bool
	// Resamples and Seed drive the bootstrap; 0 means DefaultResamples
	// and DefaultSeed.
	Resamples int
	Seed      uint64
}

// Bootstrap defaults: 2,000 resamples put the Monte Carlo error of a 2.5%
// quantile well below the interval's width; a fixed seed makes reports
// byte-stable.
const (
	DefaultResamples = 2000
	DefaultSeed      = 1
)

// Econ is the unit economics of one set of sessions, a session being one
// task.
type Econ struct {
	TasksPerMonth float64 `json:"tasks_per_month"`
	// MonthlyMeanUSD is mean cost per task × tasks; the interval is the
	// percentile bootstrap of the mean (2.5% and 97.5% of resampled means,
	// type 7) × tasks.
	MonthlyMeanUSD     float64 `json:"monthly_mean_usd"`
	MonthlyMeanLowUSD  float64 `json:"monthly_mean_ci95_low_usd"`
	MonthlyMeanHighUSD float64 `json:"monthly_mean_ci95_high_usd"`
	// MonthlyP95USD is P95 cost per task × tasks: the conservative budget.
	MonthlyP95USD float64 `json:"monthly_p95_usd"`
	Resamples     int     `json:"bootstrap_resamples"`
	Seed          uint64  `json:"bootstrap_seed"`

	RevenuePerTask *float64 `json:"revenue_per_task_usd,omitempty"`
	// Margins are revenue minus cost per task, and that over revenue.
	MarginP50USD   *float64 `json:"margin_p50_usd,omitempty"`
	MarginP95USD   *float64 `json:"margin_p95_usd,omitempty"`
	MarginP50Share *float64 `json:"margin_p50_share,omitempty"`
	MarginP95Share *float64 `json:"margin_p95_share,omitempty"`
}

// Economics projects costs per session onto cfg.TasksPerMonth; nil when
// the projection is off or there are no sessions.
func Economics(costs []float64, cfg EconConfig) *Econ {
	if cfg.TasksPerMonth <= 0 || len(costs) == 0 {
		return nil
	}
	if cfg.Resamples <= 0 {
		cfg.Resamples = DefaultResamples
	}
	if cfg.Seed == 0 {
		cfg.Seed = DefaultSeed
	}
	dist := Distribute(costs)
	lo, hi := BootstrapMeanCI(costs, cfg.Resamples, cfg.Seed, 0.95)
	n := cfg.TasksPerMonth
	e := &Econ{
		TasksPerMonth:      n,
		MonthlyMeanUSD:     dist.Mean * n,
		MonthlyMeanLowUSD:  lo * n,
		MonthlyMeanHighUSD: hi * n,
		MonthlyP95USD:      dist.P95 * n,
		Resamples:          cfg.Resamples,
		Seed:               cfg.Seed,
	}
	if cfg.HasRevenue {
		r := cfg.RevenuePerTask
		m50, m95 := r-dist.P50, r-dist.P95
		e.RevenuePerTask, e.MarginP50USD, e.MarginP95USD = &r, &m50, &m95
		if r > 0 {
			s50, s95 := m50/r, m95/r
			e.MarginP50Share, e.MarginP95Share = &s50, &s95
		}
	}
	return e
}

// BootstrapMeanCI is the percentile-bootstrap interval of the mean: draw
// len(values) values with replacement, resamples times, from a PCG seeded
// with seed, and take the (1−conf)/2 and (1+conf)/2 type-7 quantiles of
// the resampled means. Same inputs, same interval.
func BootstrapMeanCI(values []float64, resamples int, seed uint64, conf float64) (lo, hi float64) {
	n := len(values)
	if n == 0 || resamples <= 0 {
		return 0, 0
	}
	r := rand.New(rand.NewPCG(seed, 0x7f4a7c159e3779b9))
	means := make([]float64, resamples)
	for b := range means {
		var sum float64
		for range n {
			sum += values[r.IntN(n)]
		}
		means[b] = sum / float64(n)
	}
	sort.Float64s(means)
	lo, _ = stats.Percentile(means, 100*(1-conf)/2)
	hi, _ = stats.Percentile(means, 100*(1+conf)/2)
	return lo, hi
}

// Interval is a distribution-free confidence interval for a percentile:
// two order statistics of the sample. A bound the sample is too small to
// give is nil, with rank 0.
type Interval struct {
	Confidence float64  `json:"confidence"`
	Lower      *float64 `json:"lower_usd"`
	Upper      *float64 `json:"upper_usd"`
	LowerRank  int      `json:"lower_rank,omitempty"` // 1-based rank in the sorted sample
	UpperRank  int      `json:"upper_rank,omitempty"`
	// Coverage is the interval's exact probability of holding the true
	// percentile (≥ Confidence when both bounds exist).
	Coverage float64 `json:"coverage,omitempty"`
}

// QuantileRanks finds the order-statistic confidence interval for the
// p-quantile of n values. B, the number of values below the true quantile,
// is Binomial(n, p), so with F its CDF, [x(l), x(u)] holds the quantile
// with probability F(u−1) − F(l−1). l is the largest rank with
// F(l−1) ≤ α/2 and u the smallest with F(u−1) ≥ 1 − α/2 (α = 1 − conf);
// 0 means no such rank. The upper rank exists iff F(n−1) = 1 − pⁿ ≥ 1 − α/2,
// i.e. n ≥ MinSamplesForUpper(p, conf).
func QuantileRanks(n int, p, conf float64) (l, u int, coverage float64) {
	if n <= 0 {
		return 0, 0, 0
	}
	half := (1 - conf) / 2
	// pmf(k) by logs: exact enough and safe from underflow for any n.
	lp, lq := math.Log(p), math.Log1p(-p)
	lgn, _ := math.Lgamma(float64(n) + 1)
	var cdf float64 // F(k−1) while visiting k
	var fl, fu float64
	for k := 0; k <= n; k++ {
		// cdf is F(k−1): rank k+… decisions use F(rank−1).
		if k >= 1 && cdf <= half {
			l, fl = k, cdf
		}
		if k >= 1 && u == 0 && cdf >= 1-half {
			u, fu = k, cdf
			break
		}
		lgk, _ := math.Lgamma(float64(k) + 1)
		lgnk, _ := math.Lgamma(float64(n-k) + 1)
		cdf += math.Exp(lgn - lgk - lgnk + float64(k)*lp + float64(n-k)*lq)
	}
	if l > 0 && u > 0 {
		coverage = fu - fl
	}
	return l, u, coverage
}

// MinSamplesForUpper is the smallest n whose order statistics give an
// upper conf-level bound for the p-quantile: pⁿ ≤ (1−conf)/2, so
// n = ⌈ln((1−conf)/2) / ln p⌉. For P99 at 95%: ln 0.025 / ln 0.99 =
// 367.04 → 368; for P95: 71.9 → 72.
func MinSamplesForUpper(p, conf float64) int {
	n := int(math.Ceil(math.Log((1-conf)/2) / math.Log(p)))
	// Guard the ceiling against rounding at an exact boundary.
	for n > 1 && math.Pow(p, float64(n-1)) <= (1-conf)/2 {
		n--
	}
	return n
}

// QuantileCI is QuantileRanks applied to a sorted sample.
func QuantileCI(sorted []float64, p, conf float64) Interval {
	l, u, cov := QuantileRanks(len(sorted), p, conf)
	iv := Interval{Confidence: conf, LowerRank: l, UpperRank: u, Coverage: cov}
	if l > 0 {
		v := sorted[l-1]
		iv.Lower = &v
	}
	if u > 0 {
		v := sorted[u-1]
		iv.Upper = &v
	}
	return iv
}
