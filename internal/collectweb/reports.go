package collectweb

import (
	"net/http"

	"github.com/ipsmdr/ipsmdr/internal/webauth"
)

// getReports replies with the report of the calls the filters select
// (store.Report): the same filters as /api/v1/calls but for limit and
// cursor. Without from or to the report covers the days that hold the
// selected calls; a range of more than store.MaxReportDays days is cut to
// its last ones, which the reply's from says.
func (h *Handler) getReports(w http.ResponseWriter, r *http.Request) {
	f, ok := h.requestFilter(w, r, false)
	if !ok {
		return
	}
	rep, err := h.st.Report(r.Context(), f)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	webauth.WriteJSON(w, http.StatusOK, rep)
}
