"""Pure rules: no I/O, nothing imported from outside domain/."""
