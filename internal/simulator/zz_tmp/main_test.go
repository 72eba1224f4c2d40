package simx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/smdr"
)

type rec struct{ evs []smdr.CallEvent }

func (r *rec) Send(_ context.Context, e []smdr.CallEvent) error { r.evs = append(r.evs, e...); return nil }

func TestX(t *testing.T) {
	var tb bytes.Buffer
	r := &rec{}
	st, _ := simulator.Run(context.Background(), simulator.Config{Seed: 1, Duration: time.Hour, Start: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC), Truth: &tb}, r)
	fmt.Printf("%+v\n", st)
	for _, l := range strings.Split(tb.String(), "\n") {
		if strings.Contains(l, "consult_transfer") {
			fmt.Println(l)
			var tr simulator.Truth
			json.Unmarshal([]byte(l), &tr)
			for _, e := range r.evs {
				if e.Call == tr.Call {
					j, _ := json.Marshal(e)
					fmt.Println(string(j))
				}
			}
			break
		}
	}
}
