-- An undo file: never replayed (it would fail: the table is gone by then).
DROP TABLE public.scratch;
