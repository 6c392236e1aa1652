# error at line 3: a jail named lo
lab "x" {}
jail "lo" {}
