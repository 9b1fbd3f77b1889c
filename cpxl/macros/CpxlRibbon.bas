Attribute VB_Name = "CpxlRibbon"
' Ribbon callbacks of the cpxl add-in (Corporate Parenting tab, cpxl/macros/ribbon.xml).
'
' Every ribbon button has onAction="CpxlRibbonAction": the VBA side only forwards
' the button id to Python, where cpxl.xl.ribbon.dispatch decides what to do. New
' buttons therefore need no VBA, only an id that dispatch knows.
'
' RunPython comes from the xlwings module of this add-in. It runs Python against
' the *active* workbook (xlwings custom add-in flavour), reading its settings from
' the cpxl.conf sheet of this add-in and then ~/.cpxl/cpxl.conf.
Option Explicit

' The one ribbon callback. Its signature is fixed by Office for button onAction.
Public Sub CpxlRibbonAction(control As IRibbonControl)
    On Error GoTo Failed
    If Not CpxlHasWorkbook() Then Exit Sub
    RunPython "import cpxl.xl.ribbon; cpxl.xl.ribbon.dispatch('" & control.Id & "')"
    Exit Sub
Failed:
    CpxlReportError control.Id
End Sub

' RunPython needs a workbook: xlwings hands Python the active workbook's path
' (ActiveWorkbook.FullName), which fails with error 91 when none is open. Add-ins
' are hidden workbooks, so with only the add-in loaded there is no active one.
Private Function CpxlHasWorkbook() As Boolean
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open or create a workbook first, then try again.", vbInformation, "Corporate Parenting"
        CpxlHasWorkbook = False
    Else
        CpxlHasWorkbook = True
    End If
End Function

' Errors raised in Python are shown by xlwings itself; this only catches failures
' to start Python at all (interpreter not found, xlwings DLL missing, ...), which
' would otherwise leave the user with a bare VBA run-time error dialog. It names
' only remedies that work: the add-in's own cpxl.conf sheet sets INTERPRETER_WIN
' (cpxl addin build/install), which hides the settings files, but a workbook's
' cpxl.conf sheet is read before it.
Private Sub CpxlReportError(ByVal controlId As String)
    Dim problem As String
    problem = Err.Description
    MsgBox "Could not run the '" & controlId & "' action:" & vbCrLf & vbCrLf & _
           problem & vbCrLf & vbCrLf & _
           "Python: " & CpxlInterpreter() & vbCrLf & _
           "This add-in was built for xlwings " & XLWINGS_VERSION & "; for the worksheet " & _
           "functions Excel also loads xlwings64-" & XLWINGS_VERSION & ".dll (xlwings32-... in " & _
           "32-bit Excel) from that Python's folder or the folder above it." & vbCrLf & vbCrLf & _
           "To fix it: close Excel, run   cpxl addin install   in a Command Prompt with the " & _
           "Python that has cpxl, and start Excel again. A single workbook can name another " & _
           "pythonw.exe as INTERPRETER_WIN on its own cpxl.conf sheet.", _
           vbExclamation, "Corporate Parenting"
End Sub

' The interpreter xlwings will start, as its own GetConfig finds it.
Private Function CpxlInterpreter() As String
    On Error Resume Next
    CpxlInterpreter = GetConfig("INTERPRETER_WIN", "")
    If CpxlInterpreter = "" Then CpxlInterpreter = "pythonw from the PATH (no INTERPRETER_WIN set)"
End Function
