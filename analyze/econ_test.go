package analyze

import (
	"math"
	"math/big"
	"testing"
)

// binomCDF is F(k) of Binomial(n, p) by the plain recurrence
// pmf(j+1) = pmf(j)·(n−j)/(j+1)·p/(1−p) in 256-bit floats (so (1−p)ⁿ
// cannot underflow): a second method to the log-gamma sum in
// QuantileRanks.
func binomCDF(n, k int, p float64) float64 {
	const prec = 256
	q := new(big.Float).SetPrec(prec).SetFloat64(1 - p)
	pmf := new(big.Float).SetPrec(prec).SetFloat64(1)
	for range n {
		pmf.Mul(pmf, q)
	}
	ratio := new(big.Float).SetPrec(prec).Quo(big.NewFloat(p).SetPrec(prec), q)
	cdf := new(big.Float).SetPrec(prec)
	for j := 0; j <= k; j++ {
		cdf.Add(cdf, pmf)
		pmf.Mul(pmf, new(big.Float).SetPrec(prec).SetFloat64(float64(n-j)/float64(j+1)))
		pmf.Mul(pmf, ratio)
	}
	f, _ := cdf.Float64()
	return f
}

func TestEconQuantileRanksMedian(t *testing.T) {
	// The textbook 95% interval for the median of 100 values is
	// [x(40), x(61)]: F(39) = 0.0176 ≤ 0.025 < F(40) = 0.0284 and
	// F(59) = 0.9716 < 0.975 ≤ F(60) = 0.9824 for Binomial(100, ½).
	l, u, cov := QuantileRanks(100, 0.5, 0.95)
	if l != 40 || u != 61 {
		t.Fatalf("ranks = %d, %d; want 40, 61", l, u)
	}
	if want := binomCDF(100, 60, 0.5) - binomCDF(100, 39, 0.5); math.Abs(cov-want) > 1e-9 {
		t.Errorf("coverage %v, want %v", cov, want)
	}
}

func TestEconQuantileRanksAgainstRecurrence(t *testing.T) {
	for _, n := range []int{20, 73, 150, 400} {
		for _, p := range []float64{0.5, 0.95, 0.99} {
			l, u, _ := QuantileRanks(n, p, 0.95)
			// Definitions, checked with the independent CDF.
			if l > 0 && (binomCDF(n, l-1, p) > 0.025 || (l < n && binomCDF(n, l, p) <= 0.025)) {
				t.Errorf("n=%d p=%v: lower rank %d is not the largest with F(l−1) ≤ 0.025", n, p, l)
			}
			if l == 0 && binomCDF(n, 0, p) <= 0.025 {
				t.Errorf("n=%d p=%v: lower rank missing", n, p)
			}
			if u > 0 && (binomCDF(n, u-1, p) < 0.975 || (u > 1 && binomCDF(n, u-2, p) >= 0.975)) {
				t.Errorf("n=%d p=%v: upper rank %d is not the smallest with F(u−1) ≥ 0.975", n, p, u)
			}
			if u == 0 && binomCDF(n, n-1, p) >= 0.975 {
				t.Errorf("n=%d p=%v: upper rank missing", n, p)
			}
		}
	}
}

func TestEconP99Threshold(t *testing.T) {
	// An upper bound for P99 needs 0.99ⁿ ≤ 0.025: 0.99³⁶⁷ = e^(367·ln 0.99)
	// = e^(−3.6885) = 0.02502 > 0.025, 0.99³⁶⁸ = 0.02477 ≤ 0.025 → 368.
	// For P95: 0.95⁷¹ = 0.0262, 0.95⁷² = 0.0249 → 72.
	if n := MinSamplesForUpper(0.99, 0.95); n != 368 {
		t.Errorf("P99 threshold %d, want 368", n)
	}
	if n := MinSamplesForUpper(0.95, 0.95); n != 72 {
		t.Errorf("P95 threshold %d, want 72", n)
	}
	if _, u, _ := QuantileRanks(367, 0.99, 0.95); u != 0 {
		t.Errorf("367 values gave an upper rank %d", u)
	}
	if _, u, _ := QuantileRanks(368, 0.99, 0.95); u != 368 {
		t.Errorf("368 values: upper rank %d, want 368 (the maximum)", u)
	}
}

func TestEconBootstrapDeterministic(t *testing.T) {
	vals := make([]float64, 500)
	for i := range vals {
		vals[i] = float64(i%37) * 0.01 // mean 0.18 (0…36 cents, 500 = 13×37 + 19)
	}
	lo1, hi1 := BootstrapMeanCI(vals, 2000, 42, 0.95)
	lo2, hi2 := BootstrapMeanCI(vals, 2000, 42, 0.95)
	if lo1 != lo2 || hi1 != hi2 {
		t.Fatalf("same seed, different intervals: [%v %v] vs [%v %v]", lo1, hi1, lo2, hi2)
	}
	if lo3, hi3 := BootstrapMeanCI(vals, 2000, 43, 0.95); lo3 == lo1 && hi3 == hi1 {
		t.Error("another seed gave the same interval: the seed is ignored")
	}
	// Second method: the normal interval mean ± 1.96·sd/√n. The bootstrap
	// of a mean of 500 values agrees with it to within a few percent.
	d := Distribute(vals)
	var ss float64
	for _, v := range vals {
		ss += (v - d.Mean) * (v - d.Mean)
	}
	se := math.Sqrt(ss/float64(len(vals)-1)) / math.Sqrt(float64(len(vals)))
	if math.Abs(lo1-(d.Mean-1.96*se)) > 0.1*1.96*se || math.Abs(hi1-(d.Mean+1.96*se)) > 0.1*1.96*se {
		t.Errorf("bootstrap [%v, %v], normal [%v, %v]", lo1, hi1, d.Mean-1.96*se, d.Mean+1.96*se)
	}
	// Constant values: every resample has the same mean.
	if lo, hi := BootstrapMeanCI([]float64{2, 2, 2}, 100, 1, 0.95); lo != 2 || hi != 2 {
		t.Errorf("constant: [%v, %v]", lo, hi)
	}
}

func TestEconEconomics(t *testing.T) {
	// Costs $1…$10: mean 5.5, P50 5.5, P95 9.55 (type 7, see
	// TestDistributeIsType7). 1,000 tasks: 5,500 mean, 9,550 at P95.
	// Revenue $12: margins 12 − 5.5 = 6.5 (54.17%) and 12 − 9.55 = 2.45 (20.42%).
	costs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	e := Economics(costs, EconConfig{TasksPerMonth: 1000, RevenuePerTask: 12, HasRevenue: true})
	if e == nil {
		t.Fatal("no economics")
	}
	if !near(e.MonthlyMeanUSD, 5500) || !near(e.MonthlyP95USD, 9550) || e.Resamples != DefaultResamples || e.Seed != DefaultSeed {
		t.Errorf("econ = %+v", e)
	}
	if !near(*e.MarginP50USD, 6.5) || !near(*e.MarginP95USD, 2.45) || !near(*e.MarginP95Share, 2.45/12) {
		t.Errorf("margins %v %v %v", *e.MarginP50USD, *e.MarginP95USD, *e.MarginP95Share)
	}
	if !(e.MonthlyMeanLowUSD < 5500 && 5500 < e.MonthlyMeanHighUSD) || e.MonthlyMeanLowUSD < 1000 || e.MonthlyMeanHighUSD > 10000 {
		t.Errorf("interval [%v, %v] does not bracket the mean within the data's range", e.MonthlyMeanLowUSD, e.MonthlyMeanHighUSD)
	}
	if Economics(costs, EconConfig{}) != nil {
		t.Error("projection without tasks per month")
	}
	if e := Economics(costs, EconConfig{TasksPerMonth: 1}); e.MarginP50USD != nil {
		t.Error("margins without revenue")
	}
}
