# error at line 2: a lab name with a space
lab "my lab" {}
