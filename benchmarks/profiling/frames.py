"""What attribute.py and ours.py share: which module a perf script frame belongs to."""
import re


def module(fr):
    # The frame's own module: the [Module] just before Namespace.Type::Method, not one named in its return type, its
    # arguments or its generic arguments (DecisionMiddleware::InvokeAsync(class [Microsoft.AspNetCore.Http.Abstractions]...)
    # is ours). CoreLib's AsyncStateMachineBox`1[TResult,TStateMachine]::MoveNext, which may have inlined the state
    # machine's MoveNext: the state machine's owner (Kestrel's ProcessRequests run as our task's continuation is Kestrel's).
    # Native frames: the whole line.
    head = fr.split('(')[0]
    b = re.search(r'AsyncStateMachineBox`1\[[^,]+,([\w.]+)', head)
    if b: return '[' + b.group(1) + ']'
    m = re.search(r'\[([\w.]+)\] \S+::\S*$', head)
    return '[' + m.group(1) + ']' if m else fr
