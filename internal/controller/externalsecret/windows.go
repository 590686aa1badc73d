package externalsecret

import (
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/schedule"
)

// syncWindows are the object's spec.syncWindows, which gate its periodic refreshes. Windows
// that do not parse gate nothing here: the sync they then allow fails validation and says
// so in the Ready condition.
func syncWindows(es *esv1.ExternalSecret) *schedule.Windows {
	w, err := schedule.WindowsOf(es)
	if err != nil {
		return nil
	}
	return w
}
