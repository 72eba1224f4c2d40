package smdr

// MaskDigits returns s with its last n digits replaced by X, as the manual's
// examples show numbers (079XXXXXXXX). Characters other than digits are kept
// and not counted; n <= 0 returns s unchanged.
func MaskDigits(s string, n int) string {
	if n <= 0 || s == "" {
		return s
	}
	b := []byte(s)
	for i := len(b) - 1; i >= 0 && n > 0; i-- {
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = 'X'
			n--
		}
	}
	return string(b)
}
