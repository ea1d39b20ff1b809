package synth

import "math"

// Seasonal tables, derived once from hourActivity and weekdayActivity:
// activity and variance multipliers by hour, by 6-hour block and by day.
var (
	hourVar        [24]float64
	sixAct, sixVar [4]float64
	weekVar        [7]float64
)

func init() {
	for h, a := range hourActivity {
		hourVar[h] = math.Pow(a, seasonVarExp)
		sixAct[h/6] += a / 6
		sixVar[h/6] += hourVar[h] / 6
	}
	for d, a := range weekdayActivity {
		weekVar[d] = math.Pow(a, seasonVarExp)
	}
}

func weekday(t int64) int {
	d := floorDiv(t, dayMs)
	return int(((d+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
}

// season returns the activity and variance multipliers of the block of
// level L opening at t. Only levels whose siblings differ in hour or day
// of week carry a seasonal pattern; within an hour it would cancel out.
func season(L int, t int64) (act, vr float64) {
	switch L {
	case 3: // four days
		for j := int64(0); j < 4; j++ {
			d := weekday(t + j*dayMs)
			act += weekdayActivity[d] / 4
			vr += weekVar[d] / 4
		}
		return act, vr
	case dayLevel:
		d := weekday(t)
		return weekdayActivity[d], weekVar[d]
	case 5: // six hours
		q := int(floorDiv(t, 6*hourMs) % 4)
		if q < 0 {
			q += 4
		}
		return sixAct[q], sixVar[q]
	case 6:
		h := int(floorDiv(t, hourMs) % 24)
		if h < 0 {
			h += 24
		}
		return hourActivity[h], hourVar[h]
	}
	return 1, 1
}
