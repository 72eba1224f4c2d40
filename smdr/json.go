package smdr

import "time"

// RecordJSON is a record's fields under the names every JSON output of
// ipsmdr uses: the records feed, tail and receive with --format json, and
// parse.
type RecordJSON struct {
	Time            string `json:"time"` // RFC 3339, in the record's zone
	Direction       string `json:"direction"`
	CallID          string `json:"call_id"`
	Trunk           string `json:"trunk"`
	Extension       string `json:"extension"`
	SourceExtension string `json:"source_extension"`
	Number          string `json:"number"`
	Name            string `json:"name"`
	DDI             string `json:"ddi"`
	DDIName         string `json:"ddi_name"`
	AccountCode     string `json:"account_code"`
	Event           string `json:"event"`
}

// JSON returns r's fields for JSON output.
func (r Record) JSON() RecordJSON {
	return RecordJSON{
		Time:            r.Time.Format(time.RFC3339),
		Direction:       string(r.Direction),
		CallID:          r.CallID,
		Trunk:           r.Trunk,
		Extension:       r.Extension,
		SourceExtension: r.SourceExtension,
		Number:          r.Number,
		Name:            r.Name,
		DDI:             r.DDI,
		DDIName:         r.DDIName,
		AccountCode:     r.AccountCode,
		Event:           string(r.Event),
	}
}
