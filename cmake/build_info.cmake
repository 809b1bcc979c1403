# Regenerates build_info.cpp at build time so that the recorded git commit is the one built.
# configure_file only rewrites the file when its content changes (no needless rebuilds).
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE KPISIM_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE KPISIM_GIT_DIRTY OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT KPISIM_GIT_COMMIT)
  set(KPISIM_GIT_COMMIT "unknown")
elseif(KPISIM_GIT_DIRTY)
  set(KPISIM_GIT_COMMIT "${KPISIM_GIT_COMMIT}-dirty")
endif()
configure_file(${IN} ${OUT} @ONLY)
