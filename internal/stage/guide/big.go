package guide

import "strings"

// font is a 5-row ASCII font for the verdict words: plain '#', so a Linux console without
// Unicode shows it as well as a modern terminal.
var font = map[rune][5]string{
	'A': {" ### ", "#   #", "#####", "#   #", "#   #"},
	'C': {" ####", "#    ", "#    ", "#    ", " ####"},
	'D': {"#### ", "#   #", "#   #", "#   #", "#### "},
	'E': {"#####", "#    ", "#### ", "#    ", "#####"},
	'I': {"#####", "  #  ", "  #  ", "  #  ", "#####"},
	'L': {"#    ", "#    ", "#    ", "#    ", "#####"},
	'M': {"#   #", "## ##", "# # #", "#   #", "#   #"},
	'N': {"#   #", "##  #", "# # #", "#  ##", "#   #"},
	'O': {" ### ", "#   #", "#   #", "#   #", " ### "},
	'P': {"#### ", "#   #", "#### ", "#    ", "#    "},
	'R': {"#### ", "#   #", "#### ", "#  # ", "#   #"},
	'S': {" ####", "#    ", " ### ", "    #", "#### "},
	'T': {"#####", "  #  ", "  #  ", "  #  ", "  #  "},
	'U': {"#   #", "#   #", "#   #", "#   #", " ### "},
	' ': {"   ", "   ", "   ", "   ", "   "},
}

// Big renders a word in large letters (5 lines), or nil when a letter is missing or it is
// wider than width.
func Big(word string, width int) []string {
	rows := make([]string, 5)
	for i, r := range strings.ToUpper(word) {
		g, ok := font[r]
		if !ok {
			return nil
		}
		for j := range rows {
			if i > 0 {
				rows[j] += " "
			}
			rows[j] += g[j]
		}
	}
	if len(rows[0]) > width {
		return nil
	}
	for j := range rows {
		rows[j] = strings.TrimRight(rows[j], " ")
	}
	return rows
}
