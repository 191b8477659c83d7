# kindred_warnings(target): the project's warning flags, applied to every target it builds.
function(kindred_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                             -Wno-sign-conversion)
endfunction()
