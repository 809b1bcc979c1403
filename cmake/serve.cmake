# `kpisim serve` (docs/serve.md), included from engine/CMakeLists.txt after the kpisim target.
# The server is Debian's cpp-httplib (libcpp-httplib-dev) with nlohmann/json (nlohmann-json3-dev);
# without them the program is built without the command. The page's JavaScript libraries (uPlot
# for the charts, yaml for editing the scenario from sliders) are installed from npm here, at
# configure time, into <build>/web/node_modules from the committed package-lock.json, and served
# by the program from there: the page fetches nothing from anywhere else. Without npm or the
# network the rest builds, and `kpisim serve` says what is missing.
set(KPISIM_SERVE OFF CACHE INTERNAL "kpisim serve is built")
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(KPISIM_HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
endif()
find_package(nlohmann_json 3 QUIET)
if(NOT KPISIM_HTTPLIB_FOUND OR NOT nlohmann_json_FOUND)
  message(STATUS "kpisim serve: off (needs libcpp-httplib-dev and nlohmann-json3-dev: scripts/setup.sh installs them)")
  return()
endif()

set(_web_src ${PROJECT_SOURCE_DIR}/engine/apps/kpisim/web)
set(_web_bin ${CMAKE_BINARY_DIR}/web)
set(KPISIM_SERVE ON CACHE INTERNAL "kpisim serve is built")
target_sources(kpisim PRIVATE ${PROJECT_SOURCE_DIR}/engine/apps/kpisim/serve.cpp ${PROJECT_SOURCE_DIR}/engine/apps/kpisim/serve_engine.cpp)
target_link_libraries(kpisim PRIVATE PkgConfig::KPISIM_HTTPLIB nlohmann_json::nlohmann_json)
target_compile_definitions(kpisim PRIVATE KPISIM_HAVE_SERVE=1 KPISIM_SERVE_WEB_DIR="${_web_src}"
                                          KPISIM_SERVE_VENDOR_DIR="${_web_bin}/node_modules"
                                          KPISIM_SCENARIOS_DIR_DEFAULT="${PROJECT_SOURCE_DIR}/scenarios")

# npm ci when the lock file changed or the libraries are missing (a changed lock re-runs CMake).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_web_src}/package-lock.json)
file(SHA256 ${_web_src}/package-lock.json _lock_now)
set(_lock_done "")
if(EXISTS ${_web_bin}/installed.sha256)
  file(READ ${_web_bin}/installed.sha256 _lock_done)
endif()
if(NOT _lock_done STREQUAL _lock_now OR NOT EXISTS ${_web_bin}/node_modules/uplot/dist/uPlot.iife.min.js
   OR NOT EXISTS ${_web_bin}/node_modules/yaml/browser/dist/index.js)
  find_program(KPISIM_NPM npm)
  if(KPISIM_NPM)
    file(MAKE_DIRECTORY ${_web_bin})
    file(COPY ${_web_src}/package.json ${_web_src}/package-lock.json DESTINATION ${_web_bin})
    message(STATUS "kpisim serve: npm ci (uPlot, yaml) into ${_web_bin}")
    execute_process(COMMAND ${KPISIM_NPM} ci --no-audit --no-fund --ignore-scripts --prefer-offline
                    WORKING_DIRECTORY ${_web_bin} RESULT_VARIABLE _npm_rc OUTPUT_QUIET ERROR_VARIABLE _npm_err)
    if(_npm_rc EQUAL 0)
      file(WRITE ${_web_bin}/installed.sha256 "${_lock_now}")
    else()
      message(WARNING "kpisim serve: npm ci failed (offline?); the program builds, but its page cannot draw until CMake is re-run "
                      "with the npm registry reachable:\n${_npm_err}")
    endif()
  else()
    message(WARNING "kpisim serve: npm not found (scripts/setup.sh installs it); the page's chart library is missing")
  endif()
endif()
