# Writes each ```c block of a Markdown file to DIR/NAME-LINE.c (the line of
# its opening fence) and prints the file's name. A fence may be indented (a
# block inside a list item): that indentation is stripped from its lines.
# Blocks opened with ```c fragment are skipped.
/^[ \t]*```c[ \t]*$/ && !in_block {
  in_block = 1
  indent = match($0, /[^ \t]/) - 1
  out = sprintf("%s/%s-%d.c", dir, name, FNR)
  printf "" > out
  print out
  next
}
/^[ \t]*```/ && in_block {
  in_block = 0
  close(out)
  next
}
in_block { print substr($0, indent + 1) > out }
